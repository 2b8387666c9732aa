"""A complaint as submitted (web form, JSON, or the hotline operator), checked at the edge.
Every problem names its field; the complainant's input is never echoed back (it may hold
a resident ID)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from siquan.contracts.oversight_v1 import ComplaintCategory
from siquan.contracts.types import ResidentId
from siquan.oversight.public.domain.complaints import OBJECTION

_DIVISION = re.compile(r"^\d{6}(\d{3})?$")


class ComplaintForm(BaseModel):
    """Fields in this order: each cross-field check reads only the fields before it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    category: ComplaintCategory = Field(description="What the complaint is about")
    application_id: uuid.UUID | None = Field(
        default=None, validate_default=True,
        description="The application objected to (required for notice_objection)")
    division_code: str | None = Field(
        default=None, validate_default=True,
        description="County (6 digits) or township (9 digits) concerned; for an objection "
                    "the notice's own division is used")
    resident_id: ResidentId | None = Field(
        default=None, description="The person concerned, if any: only a keyed hash is kept")
    description: str = Field(min_length=1, max_length=4000, description="What happened")
    anonymous: bool | None = Field(default=None,
                                   description="Report anonymously (no contact kept)")
    contact: str | None = Field(default=None, max_length=200, validate_default=True,
                                description="Phone or address for a reply (optional)")

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: (None if isinstance(v, str) and not v.strip() else v)
                    for k, v in data.items()}
        return data

    @field_validator("application_id")
    @classmethod
    def _objection_names_an_application(cls, value: uuid.UUID | None,
                                        info: ValidationInfo) -> uuid.UUID | None:
        if value is None and info.data.get("category") == OBJECTION:
            raise ValueError("an objection names the application_id of a notice entry")
        return value

    @field_validator("division_code")
    @classmethod
    def _division(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            if "category" in info.data and info.data["category"] != OBJECTION:
                raise ValueError("required: the 6-digit county or 9-digit township code")
            return None
        if not _DIVISION.match(value) or value.startswith("00"):
            raise ValueError("a 6-digit county or 9-digit township code (GB/T 2260)")
        return value

    @field_validator("contact")
    @classmethod
    def _contact(cls, value: str | None, info: ValidationInfo) -> str | None:
        anonymous = info.data.get("anonymous")
        if anonymous is True and value is not None:
            raise ValueError("leave contact empty for an anonymous report")
        if anonymous is False and value is None:
            raise ValueError("a named complaint gives a contact; or report anonymously")
        return value

    @property
    def is_anonymous(self) -> bool:
        return self.anonymous if self.anonymous is not None else self.contact is None


def problems(error: ValidationError) -> list[dict[str, Any]]:
    """Each problem with the field it concerns, without the input that caused it."""
    found = []
    for problem in error.errors(include_input=False, include_url=False):
        field = ".".join(str(part) for part in problem["loc"]) or "body"
        found.append({"loc": ["body", *problem["loc"]], "field": field,
                      "msg": problem["msg"].removeprefix("Value error, "),
                      "type": problem["type"]})
    return found


def refusal(found: list[dict[str, Any]]) -> dict[str, Any]:
    """The one error shape (`Problem`): a summary naming the fields, and each problem."""
    fields = ", ".join(sorted({p["field"] for p in found}))
    return {"detail": f"the complaint is refused: {fields}", "errors": found}


def problem(field: str, message: str, kind: str = "refused") -> list[dict[str, Any]]:
    return [{"loc": ["body", field], "field": field, "msg": message, "type": kind}]
