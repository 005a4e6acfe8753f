"""A booking type's intake questions on the dashboard: add, edit, reorder, remove.

Each change rewrites the type's question list (``booking_types.set_questions``);
a booking keeps its own snapshot of what it was asked, so no change here
alters an answer already given.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from leadscalendar.accounts.models import Host
from leadscalendar.bookings import booking_types
from leadscalendar.bookings.models import BookingType
from leadscalendar.bookings.questions import (
    MAX_QUESTIONS,
    QuestionIn,
    StoredQuestion,
    stored_questions,
)
from leadscalendar.errors import NotFoundError
from leadscalendar.web.csrf import require_csrf
from leadscalendar.web.dashboard import question_form
from leadscalendar.web.dashboard.common import form_values, render
from leadscalendar.web.dashboard.forms import FieldErrors, FormInvalidError, FormValues
from leadscalendar.web.deps import CurrentHost, DbSession, ReadDbSession, ReadHost
from leadscalendar.web.routes.dashboard import flash
from leadscalendar.web.routes.dashboard_types import own_type

router = APIRouter(prefix="/dashboard/types/{type_id}/questions", tags=["dashboard"])

Form = Annotated[FormValues, Depends(form_values)]


class QuestionNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("This booking type has no such question.")


def _questions(booking_type: BookingType) -> list[QuestionIn]:
    return [QuestionIn.model_validate(question) for question in booking_type.questions or []]


def _find(booking_type: BookingType, question_id: str) -> tuple[int, StoredQuestion]:
    for index, question in enumerate(stored_questions(booking_type.questions)):
        if question["id"] == question_id:
            return index, question
    raise QuestionNotFoundError()


def _page_url(booking_type: BookingType) -> str:
    return f"/dashboard/types/{booking_type.id}#questions"


def _form_page(
    request: Request,
    host: Host,
    booking_type: BookingType,
    *,
    values: FormValues,
    question_id: str | None,
    errors: FieldErrors | None = None,
    status_code: int = 200,
) -> Response:
    base = f"/dashboard/types/{booking_type.id}/questions"
    return render(
        request,
        "dashboard/question_form.html",
        host,
        {
            "section": "types",
            "booking_type": booking_type,
            "values": values,
            "errors": errors or {},
            "types": question_form.type_choices(),
            "editing": question_id is not None,
            "action": f"{base}/{question_id}" if question_id else base,
        },
        status_code=status_code,
    )


@router.get("/new")
def new_question(
    request: Request, session: ReadDbSession, host: ReadHost, type_id: uuid.UUID
) -> Response:
    booking_type = own_type(session, host, type_id)
    values = question_form.initial_values(None)
    return _form_page(request, host, booking_type, values=values, question_id=None)


@router.post("", dependencies=[Depends(require_csrf)])
def add_question(
    request: Request, session: DbSession, host: CurrentHost, type_id: uuid.UUID, form: Form
) -> Response:
    booking_type = own_type(session, host, type_id)
    questions = _questions(booking_type)
    try:
        if len(questions) >= MAX_QUESTIONS:
            raise FormInvalidError(
                {"__form__": f"A booking type has at most {MAX_QUESTIONS} questions."}
            )
        question = question_form.parse(form, None)
    except FormInvalidError as invalid:
        return _form_page(
            request,
            host,
            booking_type,
            values=form,
            question_id=None,
            errors=invalid.errors,
            status_code=400,
        )
    booking_types.set_questions(booking_type, [*questions, question])
    flash(request, f"Question “{question.label}” added.")
    return RedirectResponse(_page_url(booking_type), status_code=303)


@router.get("/{question_id}")
def edit_question(
    request: Request,
    session: ReadDbSession,
    host: ReadHost,
    type_id: uuid.UUID,
    question_id: str,
) -> Response:
    booking_type = own_type(session, host, type_id)
    _, question = _find(booking_type, question_id)
    values = question_form.initial_values(question)
    return _form_page(request, host, booking_type, values=values, question_id=question_id)


@router.post("/{question_id}", dependencies=[Depends(require_csrf)])
def save_question(
    request: Request,
    session: DbSession,
    host: CurrentHost,
    type_id: uuid.UUID,
    question_id: str,
    form: Form,
) -> Response:
    booking_type = own_type(session, host, type_id)
    index, _ = _find(booking_type, question_id)
    try:
        question = question_form.parse(form, question_id)
    except FormInvalidError as invalid:
        return _form_page(
            request,
            host,
            booking_type,
            values=form,
            question_id=question_id,
            errors=invalid.errors,
            status_code=400,
        )
    questions = _questions(booking_type)
    questions[index] = question
    booking_types.set_questions(booking_type, questions)
    flash(request, f"Question “{question.label}” saved.")
    return RedirectResponse(_page_url(booking_type), status_code=303)


def _change(
    request: Request, session: Session, host: Host, type_id: uuid.UUID, question_id: str, move: int
) -> Response:
    """Move a question by ``move`` places (0: remove it); the ends stay where they are."""
    booking_type = own_type(session, host, type_id)
    index, question = _find(booking_type, question_id)
    questions = _questions(booking_type)
    if move == 0:
        del questions[index]
        flash(request, f"Question “{question['label']}” removed.")
    else:
        target = min(max(index + move, 0), len(questions) - 1)
        questions.insert(target, questions.pop(index))
    booking_types.set_questions(booking_type, questions)
    return RedirectResponse(_page_url(booking_type), status_code=303)


@router.post("/{question_id}/up", dependencies=[Depends(require_csrf)])
def move_up(
    request: Request, session: DbSession, host: CurrentHost, type_id: uuid.UUID, question_id: str
) -> Response:
    return _change(request, session, host, type_id, question_id, -1)


@router.post("/{question_id}/down", dependencies=[Depends(require_csrf)])
def move_down(
    request: Request, session: DbSession, host: CurrentHost, type_id: uuid.UUID, question_id: str
) -> Response:
    return _change(request, session, host, type_id, question_id, 1)


@router.post("/{question_id}/remove", dependencies=[Depends(require_csrf)])
def remove(
    request: Request, session: DbSession, host: CurrentHost, type_id: uuid.UUID, question_id: str
) -> Response:
    return _change(request, session, host, type_id, question_id, 0)
