"""WebhookTls: a CA and a serving certificate for a chart's admission webhook, made by the
program (pulumi-tls) and kept in the stack's state.

Why: a chart that generates its webhook certificate in its templates (``genCA`` /
``genSignedCert``) produces a new one at every render. Pulumi's Helm v4 ``Chart`` renders the
templates again at every preview, so every ``pulumi preview`` after ``up`` would replace the
TLS Secret and patch every webhook configuration's ``caBundle``. A certificate that lives in
the state is the same at every render. The private key is a Pulumi secret: it is encrypted in
the state, never exported, and ``tools render``/``tools diff`` write it redacted.

Inputs: the webhook Service's name and namespace. Outputs: ``ca_cert`` and ``cert`` (PEM);
``key`` (PEM, secret) is an attribute only, never a registered output.
Ref: https://www.pulumi.com/registry/packages/tls/api-docs/locallysignedcert/ (early renewal)
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_tls as tls

# Ten years, as the charts' own genCA/genSignedCert (3650 days); the serving certificate is
# re-issued by the first ``pulumi up`` in its last 30 days, under the same CA.
VALIDITY_HOURS = 10 * 365 * 24
EARLY_RENEWAL_HOURS = 30 * 24
KEY_ALGORITHM, RSA_BITS = "RSA", 2048
CA_USES = ("cert_signing", "crl_signing", "digital_signature", "key_encipherment")
SERVING_USES = ("digital_signature", "key_encipherment", "server_auth")


@dataclass(frozen=True)
class WebhookTlsArgs:
    """``common_name`` is the certificate's subject; ``service``/``namespace`` the webhook
    Service the API server calls (its DNS names go in the certificate)."""

    common_name: str
    service: str
    namespace: str
    dns_domain: str = "cluster.local"


def webhook_dns_names(service: str, namespace: str, dns_domain: str = "cluster.local") -> list[str]:
    """The names the API server may use for the Service: the same three the charts put in
    their generated certificates (``<svc>.<ns>``, ``<svc>.<ns>.svc``, ``<svc>.<ns>.svc.<domain>``)."""
    return [f"{service}.{namespace}", f"{service}.{namespace}.svc", f"{service}.{namespace}.svc.{dns_domain}"]


class WebhookTls(pulumi.ComponentResource):
    """A self-signed CA and a serving certificate it signs, for one webhook Service."""

    def __init__(self, name: str, args: WebhookTlsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:security:WebhookTls", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ca_key = tls.PrivateKey(f"{name}-ca-key", algorithm=KEY_ALGORITHM, rsa_bits=RSA_BITS, opts=child)
        ca = tls.SelfSignedCert(
            f"{name}-ca",
            private_key_pem=ca_key.private_key_pem,
            is_ca_certificate=True,
            subject=tls.SelfSignedCertSubjectArgs(common_name=f"{args.common_name}-ca"),
            validity_period_hours=VALIDITY_HOURS,
            allowed_uses=list(CA_USES),
            opts=child,
        )
        key = tls.PrivateKey(f"{name}-key", algorithm=KEY_ALGORITHM, rsa_bits=RSA_BITS, opts=child)
        request = tls.CertRequest(
            f"{name}-request",
            private_key_pem=key.private_key_pem,
            subject=tls.CertRequestSubjectArgs(common_name=args.common_name),
            dns_names=webhook_dns_names(args.service, args.namespace, args.dns_domain),
            opts=child,
        )
        cert = tls.LocallySignedCert(
            f"{name}-cert",
            cert_request_pem=request.cert_request_pem,
            ca_private_key_pem=ca_key.private_key_pem,
            ca_cert_pem=ca.cert_pem,
            validity_period_hours=VALIDITY_HOURS,
            early_renewal_hours=EARLY_RENEWAL_HOURS,
            allowed_uses=list(SERVING_USES),
            opts=child,
        )
        self.ca_cert: pulumi.Output[str] = ca.cert_pem
        self.cert: pulumi.Output[str] = cert.cert_pem
        self.key: pulumi.Output[str] = pulumi.Output.secret(key.private_key_pem)
        self.register_outputs({"ca_cert": self.ca_cert, "cert": self.cert})
