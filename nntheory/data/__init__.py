"""Datasets: synthetic generators, the shipped CSV, and loaders for local files."""

from nntheory.data.cifar10 import load_cifar10
from nntheory.data.mnist1d import make_mnist1d
from nntheory.data.preprocessing import Splits, standardize_per_channel
from nntheory.data.heteroscedastic import load_x_y, load_xy_csv, make_heteroscedastic
from nntheory.data.teacher_student import Teacher, TeacherStudentData, make_teacher, sample_teacher_student

__all__: list[str] = ["Splits", "load_cifar10", "make_mnist1d", "standardize_per_channel", "load_x_y", "load_xy_csv", "make_heteroscedastic", "Teacher", "TeacherStudentData", "make_teacher", "sample_teacher_student"]
