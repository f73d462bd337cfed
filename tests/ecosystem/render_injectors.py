"""Render the collection's credential type injectors into an ansible-runner private data dir, as AWX does.

Usage: python render_injectors.py CREDENTIAL_TYPE_YML PRIVATE_DATA_DIR name=value ...
The inputs (name=value) go through the credential type's own rules the way the controller applies them: an input
left empty is not defined, a boolean left unset is False, each file injector is written to a private file under
env/ and named by tower.filename.<label>, and every env injector is rendered in a sandbox with those inputs. The
rendered variables are added to env/envvars (created private); nothing is printed but the names of the variables.
"""
import os
import sys
import tempfile
from types import SimpleNamespace

import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment


class CredentialTypeLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """YAML loader that reads Ansible's !unsafe tag as the plain string it marks."""


CredentialTypeLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def namespace_of(fields, inputs):
    """The template namespace: the non-empty inputs, and False for every unset boolean field."""
    namespace = {name: value for name, value in inputs.items() if value}
    for field in fields:
        if field["type"] == "boolean" and field["id"] not in inputs:
            namespace[field["id"]] = False
    return namespace


def render(credential_type, private_data_dir, inputs):
    """The environment the credential injects; its file injectors are written below private_data_dir/env."""
    sandbox = ImmutableSandboxedEnvironment()
    namespace = namespace_of(credential_type["inputs"]["fields"], inputs)
    files = {}
    for label, template in credential_type["injectors"].get("file", {}).items():
        handle, path = tempfile.mkstemp(dir=os.path.join(private_data_dir, "env"))
        with os.fdopen(handle, "w") as out:
            out.write(sandbox.from_string(template).render(**namespace))
        files[label.split(".", 1)[1]] = path
    namespace["tower"] = SimpleNamespace(filename=SimpleNamespace(**files))
    return {name: sandbox.from_string(template).render(**namespace)
            for name, template in credential_type["injectors"].get("env", {}).items()}


def main():
    type_file, private_data_dir = sys.argv[1:3]
    inputs = dict(arg.split("=", 1) for arg in sys.argv[3:])
    with open(type_file, encoding="utf-8") as handle:
        credential_type = yaml.load(handle, Loader=CredentialTypeLoader)["koreai_credential_type"]
    env = render(credential_type, private_data_dir, inputs)
    envvars = os.path.join(private_data_dir, "env", "envvars")
    current = {}
    if os.path.exists(envvars):
        with open(envvars, encoding="utf-8") as handle:
            current = yaml.safe_load(handle) or {}
    current.update(env)
    fd = os.open(envvars + ".new", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        yaml.safe_dump(current, out, default_flow_style=False)
    os.replace(envvars + ".new", envvars)
    print(" ".join("%s%s" % (name, "" if env[name] else "(empty)") for name in sorted(env)))


if __name__ == "__main__":
    main()
