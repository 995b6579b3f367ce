"""The marketplace: listings and bids. An investor bids only in its own name."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field, model_validator

from nplhub.api.deps import PlatformDep, require
from nplhub.api.security import Permission, Principal, Role
from nplhub.services import marketplace as svc
from nplhub.services.market_sequencer import BidSequencer

router = APIRouter(prefix="/api/market", tags=["market"])
Aggregates = Annotated[object, Depends(require(Permission.READ_AGGREGATES))]
Bidder = Annotated[Principal, Depends(require(Permission.BID))]


class BidCreate(BaseModel):
    bidder_id: str = Field(description="the registered investor placing the bid")
    amount: Decimal | None = Field(default=None, gt=0, description="the bid in yuan")
    max_amount: Decimal | None = Field(default=None, gt=0, description="a proxy (maximum) bid in yuan")

    @model_validator(mode="after")
    def one_kind_of_bid(self) -> BidCreate:
        if (self.amount is None) == (self.max_amount is None):
            raise ValueError("give exactly one of amount (a bid) and max_amount (a proxy bid) / "
                             "出价金额与代理最高价二选一")
        return self


class BidPublic(BaseModel):
    listing_id: str
    price: str | None
    leader_id: str | None
    ends_at: str
    status: str
    accepted: int


@router.get("/listings")
def listings(platform: PlatformDep, _: Aggregates, status_filter: str | None = None) -> list[dict[str, Any]]:
    """Every listing with its live price, leader and end time (sealed bids stay hidden until the close)."""
    return svc.list_listings(platform.uow(), status_filter)


@router.post("/listings/{listing_id}/bids", status_code=status.HTTP_201_CREATED)
def bid(request: Request, principal: Bidder, listing_id: str, body: BidCreate) -> BidPublic:
    """Place a binding bid; the server's clock times it (soft close per 网拍规定 第20条)."""
    if principal.role is Role.INVESTOR and principal.subject != body.bidder_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "an investor bids only in its own name / 只能以本人名义出价")
    sequencer: BidSequencer = request.app.state.bids
    try:
        receipt = sequencer.submit(listing_id, body.bidder_id, body.amount, max_amount=body.max_amount)
    except TimeoutError:
        # the bid is queued and may still commit: the caller must look before bidding again
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "the bid was not confirmed in time and may still be recorded: check the listing "
                            "before bidding again / 出价未及时确认，可能仍会记录：请先查看标的再重新出价") from None
    return BidPublic(listing_id=receipt.listing_id, price=svc.yuan(receipt.price),
                     leader_id=receipt.leader_id, ends_at=receipt.ends_at.isoformat(), status=receipt.status,
                     accepted=len(receipt.accepted))
