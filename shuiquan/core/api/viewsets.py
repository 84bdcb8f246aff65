"""Base API viewsets: scoped querysets and writes that go through the services.

A registry viewset declares ``queryset``, ``serializer_class`` (read), ``write_serializer_class``
(validated input) and ``filterset_class``; list and detail see only what ``restrict(user)``
allows; create, update and delete call ``shuiquan.core.crud`` (or the app's own service), which
checks the scope, validates, writes the audit record and raises domain errors.
"""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from .. import crud
from ..scoping import VIEW, get_scoped


class ScopedReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    def get_queryset(self):
        return super().get_queryset().restrict(self.request.user, VIEW)

    def get_object(self):
        obj = get_scoped(self.get_queryset(), self.request.user, self.kwargs[self.lookup_url_kwarg or self.lookup_field], VIEW)
        return obj


class ScopedModelViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, ScopedReadOnlyViewSet
):
    """List, detail, create, update (PUT/PATCH) and delete, all scoped and audited."""

    write_serializer_class = None
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update") and self.write_serializer_class:
            return self.write_serializer_class
        return super().get_serializer_class()

    # Services own the writes: the serializer only validates and converts input.
    def perform_create_service(self, data):
        return crud.create_object(self.queryset.model, actor=self.request.user, data=data)

    def perform_update_service(self, pk, data):
        return crud.update_object(self.queryset.model, pk, actor=self.request.user, data=data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = self.perform_create_service(dict(serializer.validated_data))
        return Response(self.serializer_class(obj, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        pk = kwargs[self.lookup_url_kwarg or self.lookup_field]
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        obj = self.perform_update_service(pk, dict(serializer.validated_data))
        return Response(self.serializer_class(obj, context=self.get_serializer_context()).data)

    def destroy(self, request, *args, **kwargs):
        pk = kwargs[self.lookup_url_kwarg or self.lookup_field]
        crud.delete_object(self.queryset.model, pk, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
