# A sequence tagger: embedding, bidirectional LSTM, a Dense applied at every step.
import keras
from keras import layers

VOCAB = 2000
model = keras.Sequential([
    keras.Input(shape=(40,)),
    layers.Embedding(VOCAB, 32),
    layers.Bidirectional(layers.LSTM(24, return_sequences=True)),
    layers.TimeDistributed(layers.Dense(12)),
    layers.GroupNormalization(groups=4),
    layers.Dense(5, activation="softmax"),
])
