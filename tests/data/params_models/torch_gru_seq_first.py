# A GRU language model, sequence first as nn.GRU defaults to: (T, N, features).
from torch import nn


class LanguageModel(nn.Module):
    def __init__(self, vocab=1000, embed=64, hidden=128):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed, padding_idx=0)
        self.rnn = nn.GRU(embed, hidden, num_layers=2, dropout=0.2)
        self.decoder = nn.Linear(hidden, vocab)

    def forward(self, tokens, hidden=None):
        output, hidden = self.rnn(self.embed(tokens), hidden)
        return self.decoder(output), hidden


model = LanguageModel()
