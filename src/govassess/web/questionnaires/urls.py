from django.urls import path

from govassess.web.questionnaires import views

urlpatterns = [
    path("questionnaires/", views.index, name="questionnaire_index"),
    path("rounds/<int:pk>/questionnaire/", views.office, name="questionnaire_office"),
    path("rounds/<int:pk>/questionnaire/attach/", views.attach, name="questionnaire_attach"),
    path("rounds/<int:pk>/questionnaire/form.xlsx", views.form_export, name="questionnaire_form_export"),
    path("rounds/<int:pk>/questionnaire/settings/", views.settings_save, name="questionnaire_settings"),
    path("rounds/<int:pk>/questionnaire/collection/", views.collection, name="questionnaire_collection"),
    path("rounds/<int:pk>/questionnaire/units/<str:code>/codes/", views.codes_generate,
         name="questionnaire_codes"),
    path("rounds/<int:pk>/questionnaire/units/<str:code>/codes.xlsx", views.codes_export,
         name="questionnaire_codes_export"),
    path("rounds/<int:pk>/questionnaire/units/<str:code>/poster/", views.posters, name="questionnaire_poster"),
    path("rounds/<int:pk>/questionnaire/posters/", views.posters, name="questionnaire_posters"),
    path("rounds/<int:pk>/questionnaire/responses.<str:fmt>", views.responses_export,
         name="questionnaire_responses_export"),
    path("rounds/<int:pk>/questionnaire/responses/<int:rid>/reinstate/", views.reinstate,
         name="questionnaire_reinstate"),
    path("rounds/<int:pk>/questionnaire/map/", views.map_save, name="questionnaire_map"),
    path("rounds/<int:pk>/questionnaire/push/", views.push, name="questionnaire_push"),
    path("rounds/<int:pk>/questionnaire/results/", views.results, name="questionnaire_results"),
    # Public: a unit's link, no login (the token is the only key).
    path("q/<str:token>/", views.public, name="questionnaire_public"),
    path("q/<str:token>/asked/", views.asked, name="questionnaire_asked"),
]
