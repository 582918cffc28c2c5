"""What a partial modification keeps: the current signature as a Draft to change fields of.

The legacy and Yunpian APIs modify only the fields they know (text, remark, a picture,
an industry); the core's modify replaces a whole submission. A dialect starts from
`current_draft` and replaces what the caller sent, so a signature added through another
dialect keeps its type, purpose, images and provider fields.
"""

from __future__ import annotations

from smssign.core import errors, rules
from smssign.core.model import Draft, Image, Signature
from smssign.dialects.protocol import Services


async def stored_image(runtime: Services, digest: str) -> Image:
    """A previously accepted image back from the blob store."""
    data = await runtime.blobs.get(digest)
    if data is None:
        # The row names a blob that is gone: refuse rather than silently drop the proof.
        raise errors.Unavailable(f"proof image {digest} is missing from the blob store")
    return rules.load_image(data, field="proof_images", max_bytes=max(len(data), 1))


async def current_draft(runtime: Services, signature: Signature) -> Draft:
    """A Draft that, submitted as is, would resubmit `signature` unchanged."""
    images = tuple([await stored_image(runtime, d) for d in signature.proof_images])
    commission = (
        await stored_image(runtime, signature.commission_image)
        if signature.commission_image
        else None
    )
    return Draft(
        name=signature.name,
        international=signature.international,
        sign_type=signature.sign_type,
        document_type=signature.document_type,
        purpose=signature.purpose,
        proof_images=images,
        commission_image=commission,
        remark=signature.remark,
        qualification_id=signature.qualification_id,
        extra=dict(signature.extra),
        notify=False,
    )
