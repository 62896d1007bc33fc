"""Write tests/data/params_corpus.json: layer and model cases counted by real Keras 3 and PyTorch.

Run by hand where both are installed:
``KERAS_BACKEND=torch python tests/data/params_corpus_generate.py``. The cases are this file's own
code (trusted, unlike the model code handnets reads): each is built in the framework, and the
parameter count, non-trainable weights or buffers, and output shape it reports are written down.
``tests/test_params_corpus.py`` checks handnets against the numbers without either framework, and
rebuilds the PyTorch (and Keras) cases where they are installed so the numbers cannot rot.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
HERE = Path(__file__).resolve().parent
BATCH = 13  # no size in the corpus is 13: the axis of that length in an output is the batch axis


def keras_layer_cases() -> list[tuple[str, tuple]]:
    cases = [
        ("Dense(8)", (5,)),
        ("Dense(3, use_bias=False)", (7, 4)),
        ("Embedding(1000, 16)", (20,)),
        ("Embedding(50, 4, mask_zero=True)", (9,)),
        ("SimpleRNN(6)", (5, 3)),
        ("SimpleRNN(6, return_sequences=True, use_bias=False)", (5, 3)),
        ("LSTM(32)", (200, 16)),
        ("LSTM(5, return_sequences=True)", (4, 3)),
        ("GRU(8)", (6, 3)),
        ("GRU(8, reset_after=False, return_sequences=True)", (6, 3)),
        ("Bidirectional(LSTM(4))", (5, 3)),
        ("Bidirectional(GRU(4, return_sequences=True), merge_mode='sum')", (5, 3)),
        ("Conv1D(8, 3)", (20, 4)),
        ("Conv1D(8, 3, padding='causal')", (20, 4)),
        ("Conv1D(4, 5, padding='causal', dilation_rate=2)", (30, 2)),
        ("Conv1D(6, 3, strides=2, padding='same')", (21, 3)),
        ("Conv2D(8, 3)", (32, 32, 3)),
        ("Conv2D(8, (5, 5), strides=2, padding='same')", (31, 31, 3)),
        ("Conv2D(16, 3, groups=2, use_bias=False)", (12, 12, 4)),
        ("Conv2D(4, 3, dilation_rate=2)", (15, 15, 2)),
        ("Conv3D(4, 3)", (8, 9, 10, 2)),
        ("Conv3D(2, (1, 3, 3), padding='same')", (6, 6, 6, 3)),
        ("Conv1DTranspose(4, 3)", (10, 2)),
        ("Conv1DTranspose(4, 3, strides=2, padding='same')", (10, 2)),
        ("Conv2DTranspose(4, 3)", (30, 30, 8)),
        ("Conv2DTranspose(8, 3, strides=2, padding='same')", (7, 7, 16)),
        ("Conv2DTranspose(3, 4, strides=2)", (5, 6, 2)),
        ("Conv2DTranspose(3, 3, strides=2, output_padding=1)", (5, 5, 2)),
        ("Conv2DTranspose(2, 5, strides=3, padding='same', use_bias=False)", (4, 4, 3)),
        ("Conv3DTranspose(2, 3, strides=2)", (4, 4, 4, 3)),
        ("DepthwiseConv2D(3)", (16, 16, 8)),
        ("DepthwiseConv2D(3, depth_multiplier=2, padding='same')", (9, 9, 3)),
        ("DepthwiseConv2D((3, 5), strides=2, use_bias=False)", (17, 17, 4)),
        ("DepthwiseConv1D(3, depth_multiplier=3)", (12, 2)),
        ("SeparableConv2D(16, 3)", (16, 16, 8)),
        ("SeparableConv2D(8, 3, depth_multiplier=2, padding='same', use_bias=False)", (10, 10, 3)),
        ("SeparableConv1D(6, 5, strides=2)", (20, 4)),
        ("BatchNormalization()", (8, 8, 16)),
        ("BatchNormalization(center=False)", (10,)),
        ("LayerNormalization()", (7, 12)),
        ("LayerNormalization(scale=False)", (5,)),
        ("GroupNormalization(groups=4)", (8, 8, 16)),
        ("GroupNormalization(groups=2, center=False)", (10, 6)),
        ("MaxPooling2D()", (16, 16, 3)),
        ("MaxPooling2D(3, strides=2, padding='same')", (15, 15, 3)),
        ("AveragePooling1D(2)", (9, 4)),
        ("MaxPooling3D(2)", (8, 8, 8, 2)),
        ("GlobalAveragePooling2D()", (7, 7, 32)),
        ("GlobalMaxPooling1D()", (9, 5)),
        ("GlobalAveragePooling2D(keepdims=True)", (4, 4, 6)),
        ("UpSampling2D()", (8, 8, 3)),
        ("UpSampling2D(size=(2, 3))", (4, 5, 2)),
        ("UpSampling1D(3)", (5, 2)),
        ("UpSampling3D(2)", (2, 3, 4, 2)),
        ("ZeroPadding2D()", (8, 8, 3)),
        ("ZeroPadding2D(padding=(2, 1))", (5, 5, 2)),
        ("ZeroPadding2D(padding=((1, 2), (3, 4)))", (5, 5, 2)),
        ("ZeroPadding1D(3)", (6, 2)),
        ("Cropping2D(cropping=((1, 1), (2, 0)))", (8, 8, 3)),
        ("Cropping1D((1, 2))", (9, 3)),
        ("MultiHeadAttention(num_heads=2, key_dim=4)", (10, 8)),
        ("MultiHeadAttention(num_heads=4, key_dim=8, value_dim=6)", (5, 12)),
        ("MultiHeadAttention(num_heads=3, key_dim=5, use_bias=False)", (6, 9)),
        ("MultiHeadAttention(num_heads=2, key_dim=3, output_shape=7)", (4, 10)),
        ("Flatten()", (4, 5, 3)),
        ("Reshape((6, 10))", (4, 5, 3)),
        ("Reshape((-1, 3))", (4, 5, 3)),
        ("Permute((2, 1))", (4, 7)),
        ("RepeatVector(4)", (6,)),
        ("Dropout(0.5)", (5,)),
        ("SpatialDropout2D(0.2)", (6, 6, 3)),
        ("Activation('relu')", (5,)),
        ("LeakyReLU()", (5, 3)),
        ("TimeDistributed(Dense(8))", (5, 4)),
        ("TimeDistributed(Conv2D(4, 3))", (3, 10, 10, 2)),
        ("TimeDistributed(Dense(6, use_bias=False))", (7, 3)),
    ]
    return cases


KERAS_MODELS = {
    "keras_functional_residual": """
inputs = keras.Input(shape=(32, 32, 16))
x = layers.Conv2D(16, 3, padding="same")(inputs)
x = layers.BatchNormalization()(x)
x = layers.Activation("relu")(x)
y = layers.Conv2D(16, 3, padding="same")(x)
x = layers.Add()([x, y])
outputs = layers.GlobalAveragePooling2D()(x)
model = keras.Model(inputs, outputs)
""",
    "keras_functional_projection_shortcut": """
inputs = keras.Input(shape=(16, 16, 8))
shortcut = layers.Conv2D(32, 1, strides=2)(inputs)
x = layers.Conv2D(32, 3, strides=2, padding="same")(inputs)
x = layers.BatchNormalization()(x)
x = layers.ReLU()(x)
x = layers.Conv2D(32, 3, padding="same")(x)
x = layers.add([x, shortcut])
x = layers.Flatten()(x)
outputs = layers.Dense(10)(x)
model = keras.Model(inputs, outputs)
""",
    "keras_functional_unet_step": """
inputs = keras.Input(shape=(32, 32, 3))
c1 = layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
p1 = layers.MaxPooling2D()(c1)
c2 = layers.Conv2D(16, 3, padding="same", activation="relu")(p1)
u1 = layers.Conv2DTranspose(8, 2, strides=2)(c2)
m1 = layers.Concatenate()([u1, c1])
c3 = layers.Conv2D(8, 3, padding="same")(m1)
outputs = layers.Conv2D(1, 1, activation="sigmoid")(c3)
model = keras.Model(inputs, outputs)
""",
    "keras_functional_helper_function": """
def res_block(x, filters):
    y = layers.Conv2D(filters, 3, padding="same")(x)
    y = layers.BatchNormalization()(y)
    y = layers.Conv2D(filters, 3, padding="same")(y)
    return layers.Add()([x, y])

inputs = keras.Input(shape=(8, 8, 4))
x = layers.Conv2D(6, 1)(inputs)
for _ in range(2):
    x = res_block(x, 6)
outputs = layers.GlobalMaxPooling2D()(x)
model = keras.Model(inputs, outputs)
""",
    "keras_functional_attention": """
inputs = keras.Input(shape=(10, 16))
x = layers.Dense(8)(inputs)
y = layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x)
z = layers.Attention(use_scale=True)([x, y])
x = layers.Concatenate()([y, z])
x = layers.LayerNormalization()(x)
outputs = layers.Dense(3)(x)
model = keras.Model(inputs, outputs)
""",
    "keras_functional_shared_layer": """
inputs = keras.Input(shape=(6,))
dense = layers.Dense(6)
x = dense(inputs)
x = dense(x)
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
""",
    "keras_text_classifier": """
model = keras.Sequential([
    keras.Input(shape=(200,)),
    layers.Embedding(1000, 16),
    layers.LSTM(32, dropout=0.1, recurrent_dropout=0.1),
    layers.Flatten(),
    layers.Dropout(0.1),
    layers.Dense(256, activation="sigmoid"),
    layers.Dense(1, activation="sigmoid"),
])
""",
    "keras_seq2seq_time_distributed": """
model = keras.Sequential([
    keras.Input(shape=(12, 5)),
    layers.LSTM(16, return_sequences=True),
    layers.TimeDistributed(layers.Dense(4)),
])
""",
    "keras_cnn_mnist": """
model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Flatten(),
    layers.Dropout(0.5),
    layers.Dense(10, activation="softmax"),
])
""",
    "keras_mobilenet_block": """
model = keras.Sequential([
    keras.Input(shape=(32, 32, 3)),
    layers.Conv2D(16, 3, strides=2, padding="same", use_bias=False),
    layers.BatchNormalization(),
    layers.ReLU(6.0),
    layers.DepthwiseConv2D(3, padding="same", use_bias=False),
    layers.BatchNormalization(),
    layers.ReLU(6.0),
    layers.Conv2D(24, 1, use_bias=False),
    layers.BatchNormalization(),
    layers.GlobalAveragePooling2D(),
    layers.Dense(10),
])
""",
    "keras_autoencoder": """
model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(16, 3, activation="relu", padding="same"),
    layers.MaxPooling2D(2, padding="same"),
    layers.Conv2D(8, 3, activation="relu", padding="same"),
    layers.MaxPooling2D(2, padding="same"),
    layers.Conv2DTranspose(8, 3, strides=2, activation="relu", padding="same"),
    layers.Conv2DTranspose(16, 3, strides=2, activation="relu", padding="same"),
    layers.Conv2D(1, 3, activation="sigmoid", padding="same"),
])
""",
    "keras_wavenet_causal": """
model = keras.Sequential([
    keras.Input(shape=(64, 1)),
    layers.Conv1D(16, 2, padding="causal", dilation_rate=1),
    layers.Conv1D(16, 2, padding="causal", dilation_rate=2),
    layers.Conv1D(16, 2, padding="causal", dilation_rate=4),
    layers.Conv1D(1, 1),
])
""",
    "keras_groupnorm_upsampling": """
model = keras.Sequential([
    keras.Input(shape=(8, 8, 4)),
    layers.ZeroPadding2D(1),
    layers.Conv2D(8, 3),
    layers.GroupNormalization(groups=4),
    layers.UpSampling2D(),
    layers.SeparableConv2D(4, 3, padding="same"),
])
""",
}


def torch_layer_cases() -> list[tuple[str, tuple, int]]:
    """(constructor, input shape without the batch axis, number of inputs the forward takes)."""
    return [
        ("nn.Linear(5, 8)", (5,), 1),
        ("nn.Linear(4, 3, bias=False)", (7, 4), 1),
        ("nn.Embedding(1000, 16)", (20,), 1),
        ("nn.Embedding(50, 4, padding_idx=0)", (9,), 1),
        ("nn.RNN(3, 6)", (5, 3), 1),
        ("nn.RNN(3, 6, num_layers=2, nonlinearity='relu', batch_first=True)", (5, 3), 1),
        ("nn.LSTM(16, 32)", (20, 16), 1),
        ("nn.LSTM(7, 13, num_layers=2, bidirectional=True)", (30, 7), 1),
        ("nn.LSTM(4, 8, batch_first=True, proj_size=3)", (6, 4), 1),
        ("nn.LSTM(5, 6, bias=False)", (4, 5), 1),
        ("nn.GRU(3, 8)", (6, 3), 1),
        ("nn.GRU(3, 8, num_layers=3, batch_first=True, bidirectional=True)", (6, 3), 1),
        ("nn.Conv1d(4, 8, 3)", (4, 20), 1),
        ("nn.Conv1d(4, 8, 3, stride=2, padding=1, dilation=2)", (4, 21), 1),
        ("nn.Conv2d(3, 8, 5)", (3, 32, 32), 1),
        ("nn.Conv2d(4, 16, 3, padding='same', groups=4, bias=False)", (4, 12, 12), 1),
        ("nn.Conv2d(3, 6, (3, 5), stride=(2, 1), padding=(1, 2))", (3, 15, 16), 1),
        ("nn.Conv3d(2, 4, 3)", (2, 8, 9, 10), 1),
        ("nn.Conv3d(3, 6, (1, 3, 3), padding=(0, 1, 1), groups=3)", (3, 5, 6, 6), 1),
        ("nn.ConvTranspose1d(2, 4, 3)", (2, 10), 1),
        ("nn.ConvTranspose1d(2, 4, 3, stride=2, padding=1, output_padding=1)", (2, 10), 1),
        ("nn.ConvTranspose2d(3, 8, 5, stride=2)", (3, 8, 8), 1),
        ("nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1, bias=False)", (16, 7, 7), 1),
        ("nn.ConvTranspose2d(4, 6, 3, groups=2, dilation=2)", (4, 5, 5), 1),
        ("nn.ConvTranspose3d(3, 2, 3, stride=2)", (3, 4, 4, 4), 1),
        ("nn.BatchNorm1d(10)", (10,), 1),
        ("nn.BatchNorm2d(16, affine=False)", (16, 8, 8), 1),
        ("nn.BatchNorm3d(4, track_running_stats=False)", (4, 3, 3, 3), 1),
        ("nn.InstanceNorm2d(6, affine=True)", (6, 5, 5), 1),
        ("nn.LayerNorm(12)", (7, 12), 1),
        ("nn.LayerNorm((5, 12), elementwise_affine=False)", (5, 12), 1),
        ("nn.LayerNorm(8, bias=False)", (8,), 1),
        ("nn.GroupNorm(4, 16)", (16, 8, 8), 1),
        ("nn.GroupNorm(2, 6, affine=False)", (6, 5), 1),
        ("nn.GroupNorm(3, 9, bias=False)", (9, 4, 4), 1),
        ("nn.MaxPool2d(2)", (3, 16, 16), 1),
        ("nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)", (3, 15, 15), 1),
        ("nn.AvgPool1d(2)", (4, 9), 1),
        ("nn.MaxPool3d(2)", (2, 8, 8, 8), 1),
        ("nn.AdaptiveAvgPool2d((1, 1))", (32, 7, 7), 1),
        ("nn.AdaptiveAvgPool1d(4)", (3, 16), 1),
        ("nn.Upsample(scale_factor=2)", (3, 8, 8), 1),
        ("nn.Upsample(size=(10, 12))", (2, 5, 6), 1),
        ("nn.ZeroPad2d(2)", (3, 8, 8), 1),
        ("nn.ZeroPad2d((1, 2, 3, 4))", (2, 5, 5), 1),
        ("nn.ZeroPad1d(3)", (2, 6), 1),
        ("nn.Flatten()", (4, 5, 3), 1),
        ("nn.Dropout(0.5)", (5,), 1),
        ("nn.ReLU()", (5,), 1),
        ("nn.MultiheadAttention(16, 2)", (5, 16), 3),
        ("nn.MultiheadAttention(12, 3, batch_first=True)", (5, 12), 3),
        ("nn.MultiheadAttention(8, 2, bias=False)", (4, 8), 3),
        ("nn.MultiheadAttention(8, 4, add_bias_kv=True)", (4, 8), 3),
        ("nn.MultiheadAttention(8, 2, kdim=5, vdim=6)", (4, 8), -1),  # query (T, 8), key (T, 5), value (T, 6)
        ("nn.TransformerEncoderLayer(16, 2, dim_feedforward=32)", (6, 16), 1),
        ("nn.TransformerEncoderLayer(d_model=32, nhead=4, batch_first=True)", (6, 32), 1),
        ("nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, bias=False)", (5, 8), 1),
        ("nn.TransformerDecoderLayer(16, 4, dim_feedforward=24)", (6, 16), 2),
        ("nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, batch_first=True, norm_first=True)", (5, 8), 2),
        ("nn.Transformer(d_model=16, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=32)", (6, 16), 2),
        ("nn.Transformer()", (3, 512), 2),
    ]


TORCH_MODELS = {
    "torch_lenet_forward": """
import torch
from torch import nn
import torch.nn.functional as F

class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 4 * 4, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)

model = LeNet()
""",
    "torch_residual_block": """
from torch import nn

class Block(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU()

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out = out + identity
        return self.relu(out)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.block1 = Block(16)
        self.block2 = Block(16)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.stem(x)
        x = self.block2(self.block1(x))
        x = self.pool(x).flatten(1)
        return self.fc(x)

model = Net()
""",
    "torch_lstm_tagger_seq_first": """
from torch import nn

class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(500, 32, padding_idx=0)
        self.lstm = nn.LSTM(32, 64, num_layers=2, bidirectional=True)
        self.out = nn.Linear(128, 9)

    def forward(self, tokens):
        states, _ = self.lstm(self.embed(tokens))
        return self.out(states)

model = Tagger()
""",
    "torch_lstm_last_step": """
from torch import nn

class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(10, 20, batch_first=True)
        self.fc = nn.Linear(20, 2)

    def forward(self, x):
        out, (h, c) = self.lstm(x)
        return self.fc(out[:, -1, :])

model = Classifier()
""",
    "torch_unet_step_cat": """
import torch
from torch import nn

class Up(nn.Module):
    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(3, 8, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.mid = nn.Conv2d(8, 16, 3, padding=1)
        self.up = nn.ConvTranspose2d(16, 8, 2, stride=2)
        self.out = nn.Conv2d(16, 1, 1)

    def forward(self, x):
        d = self.down(x)
        m = self.mid(self.pool(d))
        u = self.up(m)
        return self.out(torch.cat([u, d], dim=1))

model = Up()
""",
    "torch_sequential_vgg_like": """
from torch import nn
model = nn.Sequential(
    nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(32 * 8 * 8, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 10),
)
""",
    "torch_unused_module_still_counted": """
from torch import nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.spare = nn.Linear(16, 16)
        self.fc2 = nn.Linear(16, 4)

    def forward(self, x):
        return self.fc2(self.fc1(x).relu())

model = Net()
""",
    "torch_shared_module_twice": """
from torch import nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        x = self.fc(x)
        x = self.fc(x)
        return self.head(x)

model = Net()
""",
    "torch_transformer_classifier": """
from torch import nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(100, 16)
        self.encoder = nn.TransformerEncoderLayer(16, 4, dim_feedforward=64, batch_first=True)
        self.norm = nn.LayerNorm(16)
        self.fc = nn.Linear(16, 5)

    def forward(self, tokens):
        x = self.encoder(self.embed(tokens))
        return self.fc(self.norm(x))

model = Net()
""",
    "torch_sequential_in_init": """
from torch import nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(4 * 13 * 13, 10))

    def forward(self, x):
        return self.classifier(self.features(x))

model = Net()
""",
}

TORCH_MODELS["torch_transformer_encoder_stack"] = """
from torch import nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        layer = nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=3, norm=nn.LayerNorm(16))
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        return self.fc(self.encoder(x))

model = Net()
"""
TORCH_MODELS["torch_module_list_loop"] = """
from torch import nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8)])
        self.out = nn.Linear(8, 3)

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.out(x)

model = Net()
"""

TORCH_MODEL_INPUTS = {
    "torch_transformer_encoder_stack": ((6, 16), "float"),
    "torch_module_list_loop": ((8,), "float"),
    "torch_lenet_forward": ((1, 28, 28), "float"),
    "torch_residual_block": ((3, 16, 16), "float"),
    "torch_lstm_tagger_seq_first": ((25,), "tokens_seq_first"),
    "torch_lstm_last_step": ((7, 10), "float"),
    "torch_unet_step_cat": ((3, 16, 16), "float"),
    "torch_sequential_vgg_like": ((3, 32, 32), "float"),
    "torch_unused_module_still_counted": ((8,), "float"),
    "torch_shared_module_twice": ((8,), "float"),
    "torch_transformer_classifier": ((11,), "tokens"),
    "torch_sequential_in_init": ((1, 28, 28), "float"),
}


def batch_shape(shape) -> list:
    return [None if d == BATCH else d for d in shape]


def run_keras() -> list[dict]:
    import keras
    from keras import layers

    cases = []
    for code, shape in keras_layer_cases():
        layer = eval(code, {"keras": keras, "layers": layers, **{n: getattr(layers, n) for n in dir(layers) if n[:1].isupper()}})  # noqa: S307 - this file's own cases
        if code.startswith("MultiHeadAttention"):  # self-attention: query = value = the input
            inputs = keras.Input(shape=shape)
            model = keras.Model(inputs, layer(inputs, inputs))
        else:
            model = keras.Sequential([keras.Input(shape=shape), layer])
        cases.append(keras_case(f"keras:{code}", code, list(shape), model))
    for name, code in KERAS_MODELS.items():
        namespace = {"keras": keras, "layers": layers}
        exec(code, namespace)  # noqa: S102 - this file's own cases
        cases.append(keras_case(name, code, None, namespace["model"]))
    return cases


def keras_case(name: str, code: str, shape, model) -> dict:
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    non_trainable = sum(int(w.numpy().size) for w in model.non_trainable_weights)
    assert trainable + non_trainable == model.count_params()
    output = model.output_shape
    return {"id": name, "framework": "keras", "code": code, "input_shape": shape, "total": model.count_params(), "trainable": trainable, "non_trainable": non_trainable, "output_shape": list(output)}


def torch_output(module, shape, inputs: int, kind: str = "float", *, train: bool = False):
    import torch

    if inputs == -1:  # MultiheadAttention with kdim / vdim: key and value carry their own widths
        t = shape[0]
        q = torch.zeros(t, BATCH, shape[-1]) if not getattr(module, "batch_first", False) else torch.zeros(BATCH, t, shape[-1])
        k = torch.zeros(t, BATCH, module.kdim)
        v = torch.zeros(t, BATCH, module.vdim)
        return module(q, k, v)[0].shape
    # recurrent layers, attention and transformers read (T, N, E) unless batch_first; the layers keep the flag on self_attn
    holder = module.self_attn if hasattr(module, "self_attn") else module
    sequence_first = hasattr(holder, "batch_first") and not holder.batch_first
    if kind.startswith("tokens"):
        x = torch.zeros((shape[0], BATCH) if kind == "tokens_seq_first" else (BATCH, *shape), dtype=torch.long)
        out = module(x)
        return out.shape
    if sequence_first:
        x = torch.zeros(shape[0], BATCH, *shape[1:])
    else:
        x = torch.zeros(BATCH, *shape)
    if isinstance(module, torch.nn.Embedding):
        x = torch.zeros(BATCH, *shape, dtype=torch.long)
    if not train:
        module.eval()
    with torch.no_grad():
        out = module(*([x] * inputs))
    if isinstance(out, tuple):
        out = out[0]
    return out.shape


def torch_case(name: str, code: str, shape, module, inputs: int, kind: str = "float") -> dict:
    from torch.utils.flop_counter import FlopCounterMode

    parameters = sum(p.numel() for p in module.parameters())
    buffers = sum(b.numel() for b in module.buffers())
    output = batch_shape(torch_output(module, shape, inputs, kind))
    # FLOPs as torch.utils.flop_counter counts them (2 per multiply-accumulate), batch BATCH, in
    # training mode (eval mode sends transformer layers down a fused path the counter cannot see)
    module.train()
    with FlopCounterMode(display=False) as counter:
        torch_output(module, shape, inputs, kind, train=True)
    return {"id": name, "framework": "pytorch", "code": code, "input_shape": list(shape), "total": parameters, "trainable": parameters, "buffers": buffers, "output_shape": output, "flops_counter": counter.get_total_flops(), "batch": BATCH}


def run_torch() -> list[dict]:
    import torch
    from torch import nn

    torch.manual_seed(0)
    cases = []
    for code, shape, inputs in torch_layer_cases():
        module = eval(code, {"nn": nn})  # noqa: S307 - this file's own cases
        cases.append(torch_case(f"pytorch:{code}", code, shape, module, inputs))
    for name, code in TORCH_MODELS.items():
        namespace: dict = {}
        exec(code, namespace)  # noqa: S102 - this file's own cases
        shape, kind = TORCH_MODEL_INPUTS[name]
        cases.append(torch_case(name, code, shape, namespace["model"], 1, kind))
    return cases


def main() -> None:
    import keras
    import torch

    cases = run_torch() + run_keras()
    payload = {"generated_by": "tests/data/params_corpus_generate.py", "torch": torch.__version__.split("+")[0], "keras": keras.__version__, "cases": cases}
    (HERE / "params_corpus.json").write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    print(f"{len(cases)} cases", file=sys.stderr)


if __name__ == "__main__":
    main()
