# The two commands of the README, plus the documented extras.
.PHONY: demo test bench load docs clean

demo:  ## set up, then export several workflows from two emulated environments with the role
	tests/demo/run-demo.sh

test:  ## set up, then run every test: sanity, units, integration (two ansible-core lines), ansible-lint
	tests/ci/run-tests.sh

clean:
	rm -rf .venv demo-output tests/output
