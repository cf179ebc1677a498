"""Credits API views: read-only and thin; who may read what is decided in the selectors."""

import csv
import re

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ...identifiers import parse_context_key
from ...rest_api.schema import PAGE_PARAMETERS, documented, errors, page_of
from ...rest_api.v1.views import CONTEXT_KEY_FILTER, USERNAME_FILTER, BaseView, CredentialPagination
from .. import selectors
from .serializers import (
    CatalogContextSerializer,
    CreditEntrySerializer,
    CreditTotalSerializer,
    ReportRowSerializer,
    SummarySerializer,
)

# The columns accrediting bodies ask for, in their order.
CSV_COLUMNS = (
    ("learner_name", "Learner name"),
    ("email", "Email"),
    ("activity_id", "Activity/program ID"),
    ("credit_type", "Credit type"),
    ("amount", "Amount"),
    ("completion_date", "Completion date"),
)
# Spreadsheets run a cell starting with one of these as a formula; learner names are user input.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class CreditListView(BaseView):
    """GET: the signed-in learner's ledger entries (voided ones marked) and active totals per credit type.

    Platform staff may pass ``username``; course staff only together with a ``context_key`` they staff.
    """

    permission_classes = [IsAuthenticated]

    @documented(
        summary="A learner's credits and totals",
        operation_id="credits_list",
        parameters=[CONTEXT_KEY_FILTER, USERNAME_FILTER, *PAGE_PARAMETERS],
        responses={
            200: page_of(
                CreditEntrySerializer,
                name="CreditEntryPage",
                username=serializers.CharField(),
                totals=CreditTotalSerializer(many=True),
            ),
            **errors(400, 401, 403, 404),
        },
    )
    def get(self, request):
        raw_key = request.query_params.get("context_key")
        context_key = parse_context_key(raw_key) if raw_key is not None else None
        learner = selectors.credits_learner_resolve(
            viewer=request.user, username=request.query_params.get("username"), context_key=context_key
        )
        entries = selectors.credit_entries(user_id=learner.pk, context_key=context_key)
        paginator = CredentialPagination()
        page = paginator.paginate_queryset(entries, request, view=self)
        response = paginator.get_paginated_response(CreditEntrySerializer(page, many=True).data)
        response.data["username"] = learner.get_username()
        response.data["totals"] = CreditTotalSerializer(selectors.credit_totals(entries), many=True).data
        return response


class ReportQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="First award date included (YYYY-MM-DD).")
    end = serializers.DateField(required=False, help_text="Last award date included (YYYY-MM-DD).")

    def validate(self, data: dict) -> dict:
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise serializers.ValidationError("start is after end.")
        return data


class CreditReportView(BaseView):
    """GET: a context's active credits awarded in a date range (``start``, ``end``), for staff of the context."""

    permission_classes = [IsAuthenticated]

    def report(self, request, context_key: str) -> tuple[list, dict]:
        key = parse_context_key(context_key)
        selectors.credit_report_authorize(viewer=request.user, context_key=key)  # 403 before any 400 on dates
        query = ReportQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise ValidationError(query.errors)
        return selectors.credit_report(
            viewer=request.user, context_key=key, **query.validated_data
        ), query.validated_data

    @documented(
        summary="Credits awarded in a context",
        parameters=[ReportQuerySerializer, *PAGE_PARAMETERS],
        responses={
            200: page_of(
                ReportRowSerializer,
                name="CreditReportPage",
                context_key=serializers.CharField(),
                totals=serializers.DictField(child=serializers.CharField(), help_text="Amount by credit type code."),
            ),
            **errors(400, 401, 403, 404),
        },
    )
    def get(self, request, context_key: str):
        rows, _query = self.report(request, context_key)
        paginator = CredentialPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        response = paginator.get_paginated_response(ReportRowSerializer(page, many=True).data)
        response.data["context_key"] = context_key
        response.data["totals"] = {code: f"{total:.2f}" for code, total in selectors.report_totals(rows).items()}
        return response


class CreditReportCsvView(CreditReportView):
    """GET: the same report as a CSV file for accrediting bodies, every row at once."""

    @documented(
        summary="Credits awarded in a context, as CSV",
        parameters=[ReportQuerySerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One row per award, with a header row."),
            **errors(400, 401, 403),
        },
    )
    def get(self, request, context_key: str):
        rows, query = self.report(request, context_key)
        parts = [context_key, str(query.get("start") or ""), str(query.get("end") or "")]
        filename = re.sub(r"[^A-Za-z0-9._-]+", "_", "-".join(["credits", *filter(None, parts)]))
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        writer = csv.writer(response)
        writer.writerow([title for _name, title in CSV_COLUMNS])
        for row in rows:
            writer.writerow([_cell(getattr(row, name)) for name, _title in CSV_COLUMNS])
        return response


def _cell(value) -> str:
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


class SummaryView(BaseView):
    """GET: dashboard counts of the signed-in learner: credentials by status and active credits by type."""

    permission_classes = [IsAuthenticated]

    @documented(summary="The signed-in learner's counts", responses={200: SummarySerializer, **errors(401, 403)})
    def get(self, request):
        return Response(SummarySerializer(selectors.learner_summary(user_id=request.user.pk)).data)


class CatalogView(BaseView):
    """GET: the courses and learning paths that offer credentials, with each credential type and its credits."""

    permission_classes = [IsAuthenticated]

    @documented(
        summary="Courses and learning paths that offer credentials",
        operation_id="catalog_credentials_list",
        parameters=PAGE_PARAMETERS,
        responses={200: page_of(CatalogContextSerializer, name="CatalogPage"), **errors(401, 403, 404)},
    )
    def get(self, request):
        paginator = CredentialPagination()
        page = paginator.paginate_queryset(selectors.credential_catalog(), request, view=self)
        return paginator.get_paginated_response(CatalogContextSerializer(page, many=True).data)
