# P4: the Keras text classifier (read by `handnets params`, never run).
from tensorflow import keras
from tensorflow.keras import layers

model = keras.Sequential()
model.add(layers.Embedding(1000, 16, input_length=200))
model.add(layers.LSTM(32, dropout=0.1, recurrent_dropout=0.1))
model.add(layers.Flatten())
model.add(layers.Dropout(0.1))
model.add(layers.Dense(256, activation="sigmoid"))
model.add(layers.Dense(1, activation="sigmoid"))
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
