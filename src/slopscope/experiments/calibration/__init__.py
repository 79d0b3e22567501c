"""Calibration: every registered verdict's false-positive rate and power, measured on oracle
controls whose answer is known (calibrate.py)."""
