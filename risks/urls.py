from django.urls import path

from . import views

app_name = "risk_radar"

urlpatterns = [
    path("", views.radar, name="radar"),
    path("contacts/<int:team_id>.vcf", views.contacts_vcf, name="contacts_vcf"),
    path("contacts/<int:team_id>.csv", views.contacts_csv_view, name="contacts_csv"),
]
