# The two commands of the README: `make run` and `make test`. Each installs what it needs first.
.PHONY: run test setup build bench

setup:
	@bash scripts/setup.sh

build: setup
	@swift build -c release --product aerie

run: build
	@.build/release/aerie preview assets/samples

test: setup
	@swift test

bench: setup
	@swift build -c release --product aerie-bench && .build/release/aerie-bench
