# The two commands of the README: `make run` and `make test`. Each installs what it needs first.
.PHONY: run test setup build bench corpus

setup:
	@bash scripts/setup.sh

build: setup
	@swift build -c release --product aerie

run: build
	@.build/release/aerie browse

test: setup
	@python3 scripts/models/test_torchzip.py
	@swift test

bench: setup
	@swift build -c release --product aerie-bench && .build/release/aerie-bench

# The bundled corpus: 240 synthetic aerial scenes (15 of each of the 16 kinds) at 128 px with five
# captions each, written by the generator and committed. Reproducible byte for byte (a test checks).
# Its own joint head (assets/corpus/head: linear, 128-d, EfficientNet-Lite0 + MiniLM) is trained on
# its train split and selected on its val split; `aerie browse` with no argument uses it.
corpus: setup
	@swift build -c release --product aerie
	@rm -rf assets/corpus && .build/release/aerie datasets synth --out assets/corpus --count 240 --seed 1 --size 128
	@rm -rf .build/corpus-features && .build/release/aerie train assets/corpus --head linear --dim 128 --epochs 30 --batch 32 \
		--cache .build/corpus-features --out assets/corpus/head
	@# The image features the end-to-end test replays: train+val from the run above, test added by a throw-away run.
	@.build/release/aerie train assets/corpus --train-split test --epochs 1 --cache .build/corpus-features --out .build/corpus-features/unused-head
	@cp .build/corpus-features/efficientnet-lite0-*-center.safetensors Tests/AerieEndToEndTests/Fixtures/corpus-efficientnet-lite0.safetensors
