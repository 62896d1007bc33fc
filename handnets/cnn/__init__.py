"""Hand-computed CNN blocks: exact cross-correlation, pooling, ReLU and a ResNet block, with the work shown.

>>> from handnets.cnn import p5_resnet
>>> block = p5_resnet()
>>> [[int(v) for v in row] for row in block.a2]
[[0, 0], [1, 1]]
"""

from handnets.cnn.grid import CellWork, Matrix, Step, add, as_matrix, avg_pool, cross_correlate, max_pool, relu
from handnets.cnn.resnet import ResNetBlock, p5_resnet, resnet_block
from handnets.cnn.spec import Pipeline, load_conv, loads_conv, run_spec

__all__ = [
    "CellWork",
    "Matrix",
    "Step",
    "as_matrix",
    "cross_correlate",
    "max_pool",
    "avg_pool",
    "relu",
    "add",
    "ResNetBlock",
    "resnet_block",
    "p5_resnet",
    "Pipeline",
    "load_conv",
    "loads_conv",
    "run_spec",
]
