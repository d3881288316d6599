"""Class names and descriptions shared by the Fashion-MNIST loaders."""

CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

_CLASS_LINES = "\n".join(f"    {i}. {name}" for i, name in enumerate(CLASSES))

DESCR = f"""\
.. _fashion_mnist_dataset:

Fashion-MNIST dataset
---------------------

**Data Set Characteristics:**

:Number of Instances: 70,000 (60,000 train, 10,000 test)
:Number of Attributes: 784 (28x28 grayscale pixels, integers 0-255)
:Classes: 10, balanced (6,000 train and 1,000 test images per class)
:Creator: Han Xiao, Kashif Rasul and Roland Vollgraf, Zalando Research
:License: MIT, Copyright (c) 2017 Zalando SE
:Date: 2017

Fashion-MNIST consists of grayscale images of Zalando article photos, made as
a drop-in replacement for the MNIST handwritten digits: same image size, same
number of classes and the same train/test split sizes and file format (IDX).
The classes are:

{_CLASS_LINES}

The files are checked against their published SHA-256 digests (of the
decompressed content) before use.

.. rubric:: References

* Han Xiao, Kashif Rasul, Roland Vollgraf. "Fashion-MNIST: a Novel Image
  Dataset for Benchmarking Machine Learning Algorithms". arXiv:1708.07747,
  2017. https://github.com/zalandoresearch/fashion-mnist
"""

SAMPLE_DESCR = f"""\
.. _fashion_mnist_sample:

Fashion-MNIST sample
--------------------

**Data Set Characteristics:**

:Number of Instances: 1,000 (100 per class)
:Number of Attributes: 784 (28x28 grayscale pixels, integers 0-255)
:Classes: 10
:Source: Fashion-MNIST test split (t10k), images chosen at random per class
    with a fixed seed; ``indices`` gives their position in the test split
:License: MIT, Copyright (c) 2017 Zalando SE (see LICENSE-fashion-mnist.txt)

A small stratified sample of real Fashion-MNIST test images, bundled with
skfashion so that examples and tests run without data files or network. The
classes are:

{_CLASS_LINES}

.. rubric:: References

* Han Xiao, Kashif Rasul, Roland Vollgraf. "Fashion-MNIST: a Novel Image
  Dataset for Benchmarking Machine Learning Algorithms". arXiv:1708.07747,
  2017. https://github.com/zalandoresearch/fashion-mnist
"""
