# The two commands of the README, plus the documented extras.
.PHONY: demo test bench load docs clean release-notes

demo:  ## set up, then export several workflows from two emulated environments with the role
	tests/demo/run-demo.sh

test:  ## set up, then run every test: sanity, units, integration (two ansible-core lines), ansible-lint
	tests/ci/run-tests.sh

clean:
	rm -rf .venv demo-output tests/output

bench:  ## the benchmark: the poll schedule, the role vs a task loop vs a uri/get_url playbook, the import path (not part of make test)
	tests/benchmark/run.sh

load:  ## the full-size load run: 500 workflows in two environments with injected faults (not part of make test)
	tests/load/run-load.sh

docs:  ## build the docsite (antsibull-docs) and print where it is
	tests/ecosystem/build-docs.sh

release-notes:  ## the release of galaxy.yml's version: CHANGELOG.rst and changelogs/changelog.yaml from the fragments (commit them)
	tests/ci/release-notes.sh
