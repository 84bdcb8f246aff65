"""The readings table.

On PostgreSQL the table is created by ``sql/reading_partitioned_pg.sql``: partitioned by RANGE of
``observed_at`` (one partition per calendar month in Asia/Shanghai, plus a DEFAULT partition), with
the primary key (id, observed_at) and the unique key (device_id, observed_at), both of which contain
the partition key as PostgreSQL requires. Monthly partitions are created ahead by
``manage.py ensure_reading_partitions`` (also run after every ``migrate``). On SQLite the table is a
plain table created from the model. Django's state is the same on both.
"""

from pathlib import Path

import django.db.models.deletion
from django.db import migrations, models

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def create_table(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute((SQL_DIR / "reading_partitioned_pg.sql").read_text(encoding="utf-8"))
    else:
        schema_editor.create_model(apps.get_model("metering", "Reading"))


def drop_table(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS metering_reading CASCADE")
    else:
        schema_editor.delete_model(apps.get_model("metering", "Reading"))


class Migration(migrations.Migration):
    dependencies = [("metering", "0001_initial"), ("registry", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Reading',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('observed_at', models.DateTimeField(verbose_name='观测时间')),
                        ('volume_m3', models.BigIntegerField(blank=True, null=True, verbose_name='累计水量（立方米）')),
                        ('flow_m3s', models.DecimalField(blank=True, decimal_places=4, max_digits=14, null=True, verbose_name='瞬时流量（立方米/秒）')),
                        ('level_m', models.DecimalField(blank=True, decimal_places=3, max_digits=10, null=True, verbose_name='水位（米）')),
                        ('battery_v', models.DecimalField(blank=True, decimal_places=2, max_digits=6, null=True, verbose_name='电池电压（伏）')),
                        ('quality', models.CharField(choices=[('good', '正常'), ('suspect', '可疑'), ('estimated', '估算'), ('manual', '人工抄录'), ('invalid', '无效')], default='good', max_length=12, verbose_name='质量')),
                        ('raw', models.JSONField(default=dict, verbose_name='原始报文')),
                        ('received_at', models.DateTimeField(verbose_name='接收时间')),
                        ('batch', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='readings', to='metering.ingestionbatch', verbose_name='批次')),
                        ('device', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='readings', to='registry.meteringdevice', verbose_name='计量设施')),
                    ],
                    options={
                        'verbose_name': '读数',
                        'verbose_name_plural': '读数',
                        'ordering': ['device', 'observed_at'],
                        'indexes': [models.Index(fields=['batch'], name='metering_reading_batch_idx')],
                        'constraints': [
                            models.UniqueConstraint(fields=('device', 'observed_at'), name='metering_reading_device_time_uniq', violation_error_message='同一设备同一观测时间只能有一条读数'),
                            models.CheckConstraint(condition=models.Q(('volume_m3__isnull', True), ('volume_m3__gte', 0), _connector='OR'), name='metering_reading_volume_nonnegative', violation_error_message='累计水量不能为负'),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(create_table, drop_table),
    ]
