"""The public API (/api/v1/public/, no login): the portal's data, read-only and de-identified,
plus anonymous complaints (rate-limited per source address by the service)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from shuiquan.core.auth import client_address
from shuiquan.core.errors import NotFound
from shuiquan.supervision import services as supervision

from .. import public, services
from ..models import PolicyDocument
from . import serializers as s


class PublicView(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]


class InitialRightsView(PublicView):
    """Initial-rights results by region: regional, SNWD, groundwater, withdrawal and association rights."""

    @extend_schema(responses=s.InitialRightsSerializer)
    def get(self, request):
        data = public.initial_rights()
        data.pop("regional_by_name", None)
        return Response(s.InitialRightsSerializer(data).data)


class KeyFiguresView(PublicView):
    @extend_schema(responses=s.KeyFiguresSerializer)
    def get(self, request):
        return Response(s.KeyFiguresSerializer(public.key_figures()).data)


class NoticeListView(PublicView):
    """Published supply-and-demand notices still valid (供求信息)."""

    @extend_schema(responses=s.PublicNoticeSerializer(many=True))
    def get(self, request):
        return Response(s.PublicNoticeSerializer(services.public_notices()[:500], many=True).data)


class NoticeDetailView(PublicView):
    @extend_schema(responses=s.PublicNoticeSerializer)
    def get(self, request, number: str):
        notice = services.public_notices().filter(number=number).first()
        if notice is None:
            raise NotFound()
        return Response(s.PublicNoticeSerializer(notice).data)


class PolicyListView(PublicView):
    @extend_schema(responses=s.PolicyDocumentSerializer(many=True))
    def get(self, request):
        return Response(s.PolicyDocumentSerializer(PolicyDocument.objects.all(), many=True).data)


class PolicyDetailView(PublicView):
    @extend_schema(responses=s.PolicyDocumentSerializer)
    def get(self, request, key: str):
        doc = PolicyDocument.objects.filter(key=key).first()
        if doc is None:
            raise NotFound()
        return Response(s.PolicyDocumentSerializer(doc).data)


class ComplaintCreateView(PublicView):
    """Submit a complaint or dispute without logging in. Returns the number and the receipt code
    to check its status; 429 after ``supervision.public_complaints_per_hour`` from one source."""

    @extend_schema(request=s.PublicComplaintSerializer, responses={201: s.ComplaintReceiptSerializer})
    def post(self, request):
        data = s.PublicComplaintSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = supervision.submit_public_complaint(address=client_address(request), **data.validated_data)
        return Response({"number": row.number, "receipt_code": row.receipt_code}, status=status.HTTP_201_CREATED)


class ComplaintStatusView(PublicView):
    """A complaint's status and public reply, by its number and receipt code."""

    @extend_schema(parameters=[s.ComplaintStatusQuerySerializer], responses=s.ComplaintStatusSerializer)
    def get(self, request):
        q = s.ComplaintStatusQuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        row = supervision.find_public_complaint(q.validated_data["number"], q.validated_data["code"])
        if row is None:
            raise NotFound()
        return Response(s.ComplaintStatusSerializer(supervision.public_complaint_view(row)).data)
