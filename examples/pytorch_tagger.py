# A PyTorch module: layer constructors in __init__ are read in order; forward() is ignored.
import torch
from torch import nn

VOCAB = 5000
EMBED = 64
HIDDEN = 128


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, EMBED)
        self.lstm = nn.LSTM(EMBED, HIDDEN, num_layers=2, batch_first=True, bidirectional=True)
        self.norm = nn.LayerNorm(2 * HIDDEN)
        self.out = nn.Linear(2 * HIDDEN, 17)

    def forward(self, tokens):
        states, _ = self.lstm(self.embed(tokens))
        return self.out(self.norm(states))
