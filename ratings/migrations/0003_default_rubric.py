from django.db import migrations


def load_default_rubric(apps, schema_editor):
    from ratings.rubric_loader import install_default_rubric

    install_default_rubric(apps.get_model("ratings", "Rubric"), apps.get_model("ratings", "RubricItem"))


class Migration(migrations.Migration):
    dependencies = [("ratings", "0002_initial")]
    operations = [migrations.RunPython(load_default_rubric, migrations.RunPython.noop)]
