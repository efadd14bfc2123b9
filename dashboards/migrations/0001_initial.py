# The stored statistics, league tables and five-star target, moved here from ratings.
# State only: the tables exist already (created by ratings' migrations, kept with their
# data under their old names, see db_table). The content types follow, so permissions
# granted on these models and their history keep pointing at them.

import datetime
import django.db.models.deletion
import simple_history.models
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


MOVED = [
    'assessorroundstat', 'countyroundstat', 'fivestartarget', 'historicalfivestartarget',
    'leaguebuild', 'leagueentry', 'roundstat',
]


def content_types_follow(apps, schema_editor):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    taken = set(ContentType.objects.filter(app_label='dashboards').values_list('model', flat=True))
    ContentType.objects.filter(app_label='ratings', model__in=[m for m in MOVED if m not in taken]).update(
        app_label='dashboards'
    )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('ratings', '0008_dashboards_models_moved'),
        ('settlements', '0004_point_categories'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='FiveStarTarget',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('scope', models.CharField(default='county', editable=False, max_length=16, unique=True)),
                        ('deadline', models.DateField(default=datetime.date(2021, 6, 30), verbose_name='目标日期')),
                        ('share', models.DecimalField(decimal_places=2, default=Decimal('0.40'), help_text='0 到 1 之间的小数，0.40 即 40%。', max_digits=3, verbose_name='五星占比目标')),
                    ],
                    options={
                        'verbose_name': '五星目标',
                        'verbose_name_plural': '五星目标',
                        'db_table': 'ratings_fivestartarget',
                        'constraints': [models.CheckConstraint(condition=models.Q(('share__gt', 0), ('share__lte', 1)), name='five_star_target_share_range')],
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalFiveStarTarget',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('scope', models.CharField(db_index=True, default='county', editable=False, max_length=16)),
                        ('deadline', models.DateField(default=datetime.date(2021, 6, 30), verbose_name='目标日期')),
                        ('share', models.DecimalField(decimal_places=2, default=Decimal('0.40'), help_text='0 到 1 之间的小数，0.40 即 40%。', max_digits=3, verbose_name='五星占比目标')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'historical 五星目标',
                        'verbose_name_plural': 'historical 五星目标',
                        'db_table': 'ratings_historicalfivestartarget',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='AssessorRoundStat',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reviews', models.PositiveIntegerField(verbose_name='考评数')),
                        ('gap_sum', models.DecimalField(decimal_places=1, max_digits=14, verbose_name='差值合计')),
                        ('gap_square_sum', models.DecimalField(decimal_places=2, max_digits=18, verbose_name='差值平方合计')),
                        ('assessor', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='考评人')),
                        ('round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='ratings.round', verbose_name='轮次')),
                        ('township', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='settlements.township', verbose_name='乡镇')),
                    ],
                    options={
                        'verbose_name': '考评人偏差统计',
                        'verbose_name_plural': '考评人偏差统计',
                        'db_table': 'ratings_assessorroundstat',
                        'constraints': [models.UniqueConstraint(fields=('round', 'township', 'assessor'), name='assessor_round_stat_unique'), models.CheckConstraint(condition=models.Q(('reviews__gt', 0)), name='assessor_round_stat_reviews_positive'), models.CheckConstraint(condition=models.Q(('gap_square_sum__gte', 0)), name='assessor_round_stat_squares')],
                    },
                ),
                migrations.CreateModel(
                    name='CountyRoundStat',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('settlement_class', models.PositiveSmallIntegerField(choices=[(1, '一类（100户及以上）'), (2, '二类（50–99户）'), (3, '三类（20–49户）'), (4, '四类（20户以下）')], verbose_name='类别')),
                        ('stars', models.PositiveSmallIntegerField(verbose_name='星级')),
                        ('count', models.PositiveIntegerField(verbose_name='数量')),
                        ('round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='ratings.round', verbose_name='轮次')),
                    ],
                    options={
                        'verbose_name': '轮次统计（全县）',
                        'verbose_name_plural': '轮次统计（全县）',
                        'db_table': 'ratings_countyroundstat',
                        'constraints': [models.UniqueConstraint(fields=('round', 'settlement_class', 'stars'), name='county_round_stat_unique'), models.CheckConstraint(condition=models.Q(('stars__in', [0, 3, 4, 5])), name='county_round_stat_stars_valid'), models.CheckConstraint(condition=models.Q(('count__gt', 0)), name='county_round_stat_count_positive')],
                    },
                ),
                migrations.CreateModel(
                    name='LeagueBuild',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('settlement_class', models.PositiveSmallIntegerField(choices=[(1, '一类（100户及以上）'), (2, '二类（50–99户）'), (3, '三类（20–49户）'), (4, '四类（20户以下）')])),
                        ('built_at', models.DateTimeField(auto_now_add=True)),
                        ('round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='ratings.round')),
                    ],
                    options={
                        'verbose_name': '同档排名生成记录',
                        'verbose_name_plural': '同档排名生成记录',
                        'db_table': 'ratings_leaguebuild',
                        'constraints': [models.UniqueConstraint(fields=('round', 'settlement_class'), name='league_build_unique')],
                    },
                ),
                migrations.CreateModel(
                    name='LeagueEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('settlement_class', models.PositiveSmallIntegerField(choices=[(1, '一类（100户及以上）'), (2, '二类（50–99户）'), (3, '三类（20–49户）'), (4, '四类（20户以下）')], verbose_name='类别')),
                        ('stars', models.PositiveSmallIntegerField(verbose_name='星级')),
                        ('score', models.DecimalField(decimal_places=1, max_digits=5, verbose_name='得分')),
                        ('rank', models.PositiveIntegerField(verbose_name='名次')),
                        ('previous_rank', models.PositiveIntegerField(blank=True, null=True, verbose_name='上轮名次')),
                        ('previous_stars', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='上轮星级')),
                        ('round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='ratings.round', verbose_name='轮次')),
                        ('settlement', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='settlements.settlement', verbose_name='聚居点')),
                        ('township', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='settlements.township', verbose_name='乡镇')),
                    ],
                    options={
                        'verbose_name': '同档排名',
                        'verbose_name_plural': '同档排名',
                        'db_table': 'ratings_leagueentry',
                        'indexes': [models.Index(fields=['round', 'settlement_class', 'rank', 'settlement'], name='league_class_rank'), models.Index(fields=['round', 'township', 'settlement_class', 'rank', 'settlement'], name='league_township_rank')],
                        'constraints': [models.UniqueConstraint(fields=('round', 'settlement'), name='league_entry_one_per_round'), models.CheckConstraint(condition=models.Q(('rank__gte', 1)), name='league_entry_rank_positive')],
                    },
                ),
                migrations.CreateModel(
                    name='RoundStat',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('settlement_class', models.PositiveSmallIntegerField(choices=[(1, '一类（100户及以上）'), (2, '二类（50–99户）'), (3, '三类（20–49户）'), (4, '四类（20户以下）')], verbose_name='类别')),
                        ('stars', models.PositiveSmallIntegerField(verbose_name='星级')),
                        ('count', models.PositiveIntegerField(verbose_name='数量')),
                        ('round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='ratings.round', verbose_name='轮次')),
                        ('township', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='settlements.township', verbose_name='乡镇')),
                    ],
                    options={
                        'verbose_name': '轮次统计（乡镇）',
                        'verbose_name_plural': '轮次统计（乡镇）',
                        'db_table': 'ratings_roundstat',
                        'constraints': [models.UniqueConstraint(fields=('round', 'township', 'settlement_class', 'stars'), name='round_stat_unique'), models.CheckConstraint(condition=models.Q(('stars__in', [0, 3, 4, 5])), name='round_stat_stars_valid'), models.CheckConstraint(condition=models.Q(('count__gt', 0)), name='round_stat_count_positive')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_follow, migrations.RunPython.noop),
    ]
