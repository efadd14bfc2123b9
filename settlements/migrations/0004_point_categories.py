from django.db import migrations

# The three kinds of points SPEC §8 names; administrators may add or rename more.
DEFAULT_CATEGORIES = (
    ("参与管理", "参与聚居点自主管理、议事、志愿值守等。", 1),
    ("爱护卫生", "门前三包、庭院整洁、垃圾分类等。", 2),
    ("参与公益", "参加公益劳动、互帮互助、文明实践活动等。", 3),
)


def seed_categories(apps, schema_editor):
    PointCategory = apps.get_model("settlements", "PointCategory")
    for name, description, position in DEFAULT_CATEGORIES:
        PointCategory.objects.get_or_create(
            name=name, defaults={"description": description, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("settlements", "0003_governance")]
    operations = [migrations.RunPython(seed_categories, migrations.RunPython.noop)]
