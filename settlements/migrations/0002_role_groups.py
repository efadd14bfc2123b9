from django.db import migrations

ROLE_GROUPS = ("乡镇干部", "县考评组", "党组织书记")


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLE_GROUPS:
        Group.objects.get_or_create(name=name)
    # Permissions are attached by settlements.roles.sync_role_permissions on post_migrate,
    # once every app's permissions exist (including apps migrated after this one).


class Migration(migrations.Migration):
    dependencies = [("settlements", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
