"""Training: the declared code versions, the Keras backend, MNIST, the models and the trainer. Its
code is locked (``versions``): what it computes keys the run store.
"""
