// aerie-bench: benchmarks that print ratios against reference implementations run side by side.
print("aerie-bench: no benchmarks yet")
