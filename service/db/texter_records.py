"""What supervisors decide about one texter: a block (their texts kept, not offered) and a
frequent-texter plan (a note for the volunteer, a shorter limit, a preferred volunteer)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base
from service.db.people import Texter


class TexterBlock(Base):
    """A texter's texts are not offered to volunteers until `until` (or until lifted)."""

    __tablename__ = "texter_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    texter_id: Mapped[int] = mapped_column(ForeignKey("texters.id"), index=True)
    until: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime]
    lifted_at: Mapped[datetime | None]
    # When the texter was told (once per block) that the line cannot take their texts.
    told_at: Mapped[datetime | None]

    texter: Mapped[Texter] = relationship()


class TexterPlan(Base):
    """A frequent texter's plan, one per texter: shown to the volunteer who accepts them."""

    __tablename__ = "texter_plans"

    texter_id: Mapped[int] = mapped_column(ForeignKey("texters.id"), primary_key=True)
    note: Mapped[str] = mapped_column(Text, default="")
    # A shorter conversation limit, in minutes (the volunteer is reminded when it is reached).
    max_minutes: Mapped[int | None]
    preferred_volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"))
    updated_by: Mapped[str] = mapped_column(String(254))
    updated_at: Mapped[datetime]

    texter: Mapped[Texter] = relationship()
