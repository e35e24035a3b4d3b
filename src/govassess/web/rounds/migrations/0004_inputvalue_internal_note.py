from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("rounds", "0003_evidence_kind"),
    ]

    operations = [
        migrations.AddField(
            model_name="inputvalue",
            name="internal_note",
            field=models.TextField(blank=True, verbose_name="内部意见"),
        ),
    ]
