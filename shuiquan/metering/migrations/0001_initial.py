import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('registry', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DeviceModelProfile',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('model', models.CharField(max_length=60, unique=True, verbose_name='设备型号')),
                ('description', models.CharField(blank=True, max_length=200, verbose_name='说明')),
                ('max_flow_m3s', models.DecimalField(blank=True, decimal_places=4, max_digits=10, null=True, verbose_name='额定最大流量（立方米/秒）')),
                ('element_map', models.JSONField(blank=True, default=dict, help_text='如 {"FF01": "volume_m3", "FF02": "flow_m3s"}；值为 volume_m3、flow_m3s、level_m、battery_v', verbose_name='自定义要素映射')),
                ('is_demo', models.BooleanField(default=False, verbose_name='演示数据')),
            ],
            options={
                'verbose_name': '设备型号配置',
                'verbose_name_plural': '设备型号配置',
                'ordering': ['model'],
            },
        ),
        migrations.CreateModel(
            name='DeviceState',
            fields=[
                ('device', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='metering_state', serialize=False, to='registry.meteringdevice')),
                ('last_observed_at', models.DateTimeField(blank=True, null=True, verbose_name='最新观测时间')),
                ('last_received_at', models.DateTimeField(blank=True, null=True, verbose_name='最近接收时间')),
                ('last_volume_m3', models.BigIntegerField(blank=True, null=True, verbose_name='最新累计水量')),
            ],
            options={
                'verbose_name': '设备最新状态',
                'verbose_name_plural': '设备最新状态',
            },
        ),
        migrations.CreateModel(
            name='IngestionBatch',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source', models.CharField(choices=[('api', '接口批量'), ('csv', 'CSV 上传'), ('xlsx', 'Excel 上传'), ('mqtt', 'MQTT'), ('sl651', 'SL 651 遥测终端'), ('szy206', 'SZY206 遥测终端'), ('demo', '演示数据')], max_length=12, verbose_name='来源')),
                ('status', models.CharField(choices=[('queued_preview', '待预检'), ('previewing', '预检中'), ('previewed', '已预检，待确认'), ('queued', '待导入'), ('running', '导入中'), ('done', '已完成'), ('failed', '失败'), ('cancelled', '已取消')], default='running', max_length=20, verbose_name='状态')),
                ('dry_run', models.BooleanField(default=False, verbose_name='仅预检')),
                ('label', models.CharField(blank=True, help_text='文件名、MQTT 客户端、RTU 对端地址等', max_length=200, verbose_name='说明')),
                ('upload', models.FileField(blank=True, upload_to='metering/uploads/%Y/%m/', verbose_name='上传文件')),
                ('upload_sha256', models.CharField(blank=True, max_length=64)),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='开始时间')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='完成时间')),
                ('heartbeat_at', models.DateTimeField(blank=True, null=True)),
                ('total', models.PositiveIntegerField(blank=True, null=True, verbose_name='总行数')),
                ('processed', models.PositiveIntegerField(default=0, verbose_name='已处理')),
                ('offered', models.PositiveIntegerField(default=0, verbose_name='提交读数')),
                ('accepted', models.PositiveIntegerField(default=0, verbose_name='接收')),
                ('duplicates', models.PositiveIntegerField(default=0, verbose_name='重复')),
                ('conflicts', models.PositiveIntegerField(default=0, verbose_name='冲突')),
                ('rejected', models.PositiveIntegerField(default=0, verbose_name='拒收')),
                ('issues_truncated', models.PositiveIntegerField(default=0, verbose_name='未逐条列出的问题行')),
                ('extra', models.JSONField(blank=True, default=dict, verbose_name='附加信息')),
                ('error', models.TextField(blank=True, verbose_name='错误')),
                ('is_demo', models.BooleanField(default=False, verbose_name='演示数据')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='提交人')),
                ('region', models.ForeignKey(blank=True, help_text='批次内读数全部属于同一行政区时填写', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.region', verbose_name='行政区')),
            ],
            options={
                'verbose_name': '数据接收批次',
                'verbose_name_plural': '数据接收批次',
                'ordering': ['-id'],
            },
        ),
        migrations.CreateModel(
            name='BatchIssue',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('row', models.PositiveIntegerField(verbose_name='行号/序号')),
                ('outcome', models.CharField(choices=[('accepted', '已接收'), ('duplicate', '重复（已存在相同读数）'), ('conflict', '冲突（同一时刻已有不同读数）'), ('rejected', '拒收')], max_length=12, verbose_name='结果')),
                ('code', models.CharField(max_length=40, verbose_name='代码')),
                ('message', models.CharField(max_length=300, verbose_name='说明')),
                ('message_en', models.CharField(max_length=300)),
                ('device_ref', models.CharField(blank=True, max_length=60, verbose_name='设备')),
                ('observed_at_text', models.CharField(blank=True, max_length=40, verbose_name='观测时间')),
                ('data', models.JSONField(blank=True, default=dict, verbose_name='原始数据')),
                ('batch', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='issues', to='metering.ingestionbatch')),
            ],
            options={
                'verbose_name': '批次问题行',
                'verbose_name_plural': '批次问题行',
                'ordering': ['batch', 'row', 'id'],
            },
        ),
        migrations.CreateModel(
            name='RejectedFrame',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('received_at', models.DateTimeField(verbose_name='接收时间')),
                ('protocol', models.CharField(max_length=12, verbose_name='协议')),
                ('peer', models.CharField(blank=True, max_length=60, verbose_name='对端地址')),
                ('station_address', models.CharField(blank=True, max_length=20, verbose_name='遥测站地址')),
                ('frame_hex', models.TextField(verbose_name='报文（十六进制）')),
                ('code', models.CharField(max_length=40, verbose_name='代码')),
                ('message', models.CharField(max_length=300, verbose_name='说明')),
                ('batch', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='rejected_frames', to='metering.ingestionbatch')),
            ],
            options={
                'verbose_name': '拒收报文',
                'verbose_name_plural': '拒收报文',
                'ordering': ['-received_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='UsageDirty',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField()),
                ('marked_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('device', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='registry.meteringdevice')),
            ],
        ),
        migrations.CreateModel(
            name='Alarm',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('right_use', '用水量超用水权'), ('plan_use', '用水量超年度取水计划'), ('silent_device', '计量设施离线'), ('m1_metering', '应装未装在线计量（M1）')], max_length=20, verbose_name='类型')),
                ('level', models.CharField(choices=[('warning', '预警'), ('alarm', '报警')], max_length=10, verbose_name='级别')),
                ('subject_key', models.CharField(help_text='kind-specific key, e.g. permit:12:2026', max_length=60)),
                ('year', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='年度')),
                ('used_m3', models.BigIntegerField(blank=True, null=True, verbose_name='用水量（立方米）')),
                ('limit_m3', models.BigIntegerField(blank=True, null=True, verbose_name='对照水量（立方米）')),
                ('message', models.CharField(max_length=300, verbose_name='说明')),
                ('message_en', models.CharField(max_length=300)),
                ('opened_at', models.DateTimeField(verbose_name='发生时间')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='关闭时间')),
                ('close_reason', models.CharField(blank=True, max_length=200, verbose_name='关闭原因')),
                ('acknowledged_at', models.DateTimeField(blank=True, null=True, verbose_name='确认时间')),
                ('is_demo', models.BooleanField(default=False, verbose_name='演示数据')),
                ('acknowledged_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='确认人')),
                ('device', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='metering_alarms', to='registry.meteringdevice', verbose_name='计量设施')),
                ('holder', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='metering_alarms', to='registry.wateruser', verbose_name='取用水户')),
                ('permit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='metering_alarms', to='registry.withdrawalpermit', verbose_name='取水许可证')),
                ('region', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.region', verbose_name='行政区')),
            ],
            options={
                'verbose_name': '告警',
                'verbose_name_plural': '告警',
                'ordering': ['-opened_at', '-id'],
                'indexes': [models.Index(fields=['closed_at', 'kind'], name='metering_alarm_open_idx')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('closed_at__isnull', True)), fields=('kind', 'subject_key'), name='metering_alarm_one_open')],
            },
        ),
        migrations.CreateModel(
            name='DeviceUse',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('period', models.CharField(choices=[('day', '日'), ('month', '月'), ('year', '年')], max_length=5, verbose_name='周期')),
                ('start', models.DateField(verbose_name='起始日')),
                ('volume_m3', models.BigIntegerField(verbose_name='用水量（立方米）')),
                ('estimated', models.BooleanField(default=False, verbose_name='含估算')),
                ('complete', models.BooleanField(default=True, verbose_name='数据完整')),
                ('flags', models.PositiveIntegerField(default=0, verbose_name='标记')),
                ('readings', models.PositiveIntegerField(default=0, verbose_name='读数条数')),
                ('computed_at', models.DateTimeField(auto_now=True, verbose_name='计算时间')),
                ('device', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='use_rows', to='registry.meteringdevice')),
            ],
            options={
                'verbose_name': '设备用水量',
                'verbose_name_plural': '设备用水量',
                'ordering': ['device', 'period', 'start'],
                'indexes': [models.Index(fields=['period', 'start'], name='metering_deviceuse_period_idx')],
                'constraints': [models.UniqueConstraint(fields=('device', 'period', 'start'), name='metering_deviceuse_unique'), models.CheckConstraint(condition=models.Q(('volume_m3__gte', 0)), name='metering_deviceuse_volume_nonnegative')],
            },
        ),
        migrations.AddIndex(
            model_name='ingestionbatch',
            index=models.Index(fields=['source', 'status'], name='metering_batch_source_idx'),
        ),
        migrations.AddConstraint(
            model_name='usagedirty',
            constraint=models.UniqueConstraint(fields=('device', 'year'), name='metering_usagedirty_unique'),
        ),
    ]
