# A two-level U-Net: skip connections by Concatenate, upsampling by Conv2DTranspose.
import keras
from keras import layers

inputs = keras.Input(shape=(64, 64, 1))
c1 = layers.Conv2D(16, 3, activation="relu", padding="same")(inputs)
c1 = layers.Conv2D(16, 3, activation="relu", padding="same")(c1)
p1 = layers.MaxPooling2D((2, 2))(c1)
c2 = layers.Conv2D(32, 3, activation="relu", padding="same")(p1)
c2 = layers.Conv2D(32, 3, activation="relu", padding="same")(c2)
p2 = layers.MaxPooling2D((2, 2))(c2)
b = layers.Conv2D(64, 3, activation="relu", padding="same")(p2)
u2 = layers.Conv2DTranspose(32, (2, 2), strides=(2, 2), padding="same")(b)
u2 = layers.concatenate([u2, c2])
c3 = layers.Conv2D(32, 3, activation="relu", padding="same")(u2)
u1 = layers.Conv2DTranspose(16, (2, 2), strides=(2, 2), padding="same")(c3)
u1 = layers.concatenate([u1, c1], axis=3)
c4 = layers.Conv2D(16, 3, activation="relu", padding="same")(u1)
outputs = layers.Conv2D(1, (1, 1), activation="sigmoid")(c4)
model = keras.Model(inputs=[inputs], outputs=[outputs])
