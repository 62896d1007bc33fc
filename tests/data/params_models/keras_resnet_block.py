# A course's ResNet block in Keras' functional API: a helper function, a loop, a residual Add.
import keras
from keras import layers

FILTERS = 32


def residual_block(x, filters, downsample=False):
    stride = 2 if downsample else 1
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    y = layers.BatchNormalization()(y)
    y = layers.ReLU()(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    y = layers.BatchNormalization()(y)
    if downsample:
        shortcut = layers.Conv2D(filters, 1, strides=2, use_bias=False)(x)
    y = layers.Add()([y, shortcut])
    return layers.ReLU()(y)


inputs = keras.Input(shape=(32, 32, 3))
x = layers.Conv2D(FILTERS, 3, padding="same")(inputs)
for _ in range(2):
    x = residual_block(x, FILTERS)
x = residual_block(x, 2 * FILTERS, downsample=True)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs)
