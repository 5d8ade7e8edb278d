"""newsbot: answers questions about local government news, in Chinese, from a corpus of articles."""

__version__ = "0.1.0"
