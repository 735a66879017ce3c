"""Datasets: synthetic generators, the shipped CSV, and loaders for local files.

Each data set lives in its own module and loads on first use, so that, for
example, ``nntheory.data.load_xy_csv`` costs numpy alone while the
teacher–student generator brings in torch.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=["cifar10", "heteroscedastic", "mnist1d", "preprocessing", "teacher_student"],
    submod_attrs={
        "cifar10": ["load_cifar10"],
        "heteroscedastic": ["load_x_y", "load_xy_csv", "make_heteroscedastic"],
        "mnist1d": ["make_mnist1d"],
        "preprocessing": ["Splits", "standardize_per_channel"],
        "teacher_student": ["Teacher", "TeacherStudentData", "make_teacher", "sample_teacher_student"],
    },
)
