"""Set-up of a machine: what ``make setup`` runs (``python -m hongong data``, ``python -m hongong system-packages``).

- :mod:`hongong.setup.data`: Fashion-MNIST in Keras's cache, offline from Debian's ``dataset-fashion-mnist``,
  verified (also read by the book's set-up and by the trusted checker, which measures accuracy on the test set);
- :mod:`hongong.setup.apt`: Debian packages, installed as root where apt-get exists.
"""
