# P4: 8 filters of 5x5 over a 32x32x3 input, stride 1, no padding.
from tensorflow import keras
from tensorflow.keras import layers

model = keras.Sequential([
    keras.Input(shape=(32, 32, 3)),
    layers.Conv2D(8, (5, 5), strides=1, padding="valid"),
])
