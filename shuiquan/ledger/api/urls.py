from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("rights", views.RightViewSet, basename="ledger-right")
router.register("entries", views.EntryViewSet, basename="ledger-entry")
router.register("locks", views.LockViewSet, basename="ledger-lock")

urlpatterns = router.urls
