# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options shared by every module of koreai.ai_for_process."""


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """Options to reach an AI for Process environment."""

    DOCUMENTATION = r"""
options:
  host:
    description:
      - URL of the AI for Process environment, for example C(https://process.kore.ai) or the URL of a private
        or on-premises installation.
      - A trailing slash and a path prefix are accepted. The scheme (C(https://) or C(http://)) is required.
      - If not set, the value of the E(KOREAI_HOST) environment variable is used; one of them is required.
      - E(KOREAI_API_KEY), E(KOREAI_VALIDATE_CERTS), E(KOREAI_CA_PATH) and E(KOREAI_KIND) belong to the host in
        E(KOREAI_HOST), as the collection's AWX credential type injects them together. They fill the options of a
        task whose O(host) is unset or equal to E(KOREAI_HOST), and of no other task. A task that names a host of
        its own never sends the controller's key there; it needs its own O(api_key).
      - The P(koreai.ai_for_process.export_workflows#role) and P(koreai.ai_for_process.promote_workflows#role)
        roles resolve their connection by the same rule (the P(koreai.ai_for_process.connection#lookup) lookup).
    type: str
  api_key:
    description:
      - API key of an API app with the C(Export workflow) scope (Settings, Security & Control, API Scopes).
      - Sent as the C(x-api-key) header, and only to the origin of O(host); a download URL or redirect on
        another origin is fetched without it.
      - Never shown in results, messages or logs.
      - If not set, the value of the E(KOREAI_API_KEY) environment variable is used, only when O(host) is the host in
        E(KOREAI_HOST) (see O(host)); one of the two is required.
      - Printable ASCII without spaces; leading and trailing whitespace is ignored. A key that holds any other
        character is refused before any request, with a message that does not show it.
    type: str
  kind:
    description:
      - Which Kore.ai product the host runs, V(workflow) for AI for Process workflows or V(tool) for Agent
        Platform (and GALE) tools; switches routes (C(/api/public/tools/...)) and body field names
        (C(toolDataFileId), C(toolName)). Answers are read the same way whatever the kind.
      - Options and results keep the name C(workflow_id) for the entity's id, so one playbook reads the same for
        both products; for tools it holds the tool ID, and options also accept the alias C(tool_id).
      - When no route of the chosen kind answers at O(host) but the other kind's does, the error says which kind
        to set; so does an import or deploy that meets the other product's routes.
      - Set it once for every module with C(module_defaults) for the action group, or with the E(KOREAI_KIND)
        environment variable, which is used for the host in E(KOREAI_HOST) (see O(host)) when the option is
        V(workflow) or not set. A E(KOREAI_KIND) that is neither V(workflow) nor V(tool) is an error.
    type: str
    choices: [workflow, tool]
    default: workflow
  validate_certs:
    description:
      - Verify the server's TLS certificate. Set to V(false) only for test hosts; the module then warns.
      - For the host in E(KOREAI_HOST) (see O(host)), E(KOREAI_VALIDATE_CERTS=false) turns verification off; the
        environment never turns it on. A value that is neither true nor false is an error naming the variable.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA certificates that sign the server's certificate, for private CAs.
      - The file must exist and be readable; this is checked before any request.
      - If not set, the value of the E(KOREAI_CA_PATH) environment variable is used for the host in E(KOREAI_HOST)
        (see O(host)).
    type: path
  allow_http_downloads:
    description:
      - When O(host) is C(https://), a download URL or a redirect hop on plain C(http://) is refused, because
        the archive and the secrets it holds could be read or replaced on the way. Set to V(true) to accept them.
      - A plain C(http://) O(host) always uses http, with a warning.
      - A POST (upload, import, export, deploy) redirected to another origin is never followed, so its body is
        not sent there; it fails naming that origin.
      - No environment variable sets this option, so the environment cannot weaken it unseen.
    type: bool
    default: false
  timeout:
    description:
      - Seconds to wait for each HTTP request to connect and for each read of its answer.
      - A download as a whole is also bounded by C(wait_timeout) where a module has one, however slowly it arrives.
      - If not set, the value of the E(KOREAI_TIMEOUT) environment variable is used, whatever the host.
    type: float
    default: 30
  retries:
    description:
      - How many times a request that failed transiently is retried (connection errors, HTTP 429 honouring
        C(Retry-After), and HTTP 5xx for reads), with jittered exponential backoff.
      - The export POST changes nothing, so it is retried on HTTP 429 and 5xx as reads are (but not after a broken
        or timed-out answer). Upload, import and deploy POSTs are retried only where the server cannot have acted
        (connection refused, HTTP 429, HTTP 503 with C(Retry-After)); their failure messages say what a rerun does.
      - A C(Retry-After) longer than 60 seconds is cut to 60 seconds, and no wait goes past C(wait_timeout)
        where a module has one.
      - If not set, the value of the E(KOREAI_RETRIES) environment variable is used, whatever the host.
    type: int
    default: 5
notes:
  - Every request sends the User-Agent C(koreai.ai_for_process/<version> ansible-core/<version>
    python-requests/<version>).
  - Requires the Python library C(requests) on the host that runs the module (usually the controller, with
    C(ansible_connection=local)). Proxies are taken from the E(HTTPS_PROXY), E(HTTP_PROXY) and E(NO_PROXY)
    environment variables.
requirements:
  - requests
"""
