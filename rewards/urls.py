from django.urls import path

from . import views

app_name = "rewards"
urlpatterns = [
    path("", views.reward_list, name="list"),
    path("settlement/<int:pk>/", views.settlement_rewards, name="settlement"),
    path("voucher/<int:pk>/", views.voucher, name="voucher"),
    path("vouchers/", views.vouchers, name="vouchers"),
    path("ledger.xlsx", views.ledger_export, name="ledger_export"),
]
