# P4: the vanilla RNN with 20 inputs, 128 hidden units and 10 outputs (one output per step).
from tensorflow import keras
from tensorflow.keras import layers

model = keras.Sequential([
    keras.Input(shape=(None, 20)),
    layers.SimpleRNN(128, return_sequences=True),  # W_xh, W_hh, b_h
    layers.Dense(10),                              # W_hy, b_y
])
