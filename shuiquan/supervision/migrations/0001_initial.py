from decimal import Decimal

import django.core.validators
import django.db.models.deletion
import django_fsm
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('registry', '0001_initial'),
        ('trading', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Complaint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(blank=True, max_length=40, null=True, unique=True, verbose_name='编号')),
                ('kind', models.CharField(choices=[('complaint', '投诉'), ('dispute', '争议'), ('report', '举报')], default='complaint', max_length=20, verbose_name='类别')),
                ('topic', models.CharField(choices=[('volume', '交易水量真实性'), ('procedure', '交易程序规范性'), ('price', '交易价格合理性'), ('funds', '交易资金安全'), ('third_party', '第三方或公共利益受损'), ('use_change', '擅自改变用途'), ('disclosure', '信息公开'), ('other', '其他')], default='other', max_length=20, verbose_name='事项')),
                ('channel', models.CharField(choices=[('portal', '信息公开网站'), ('platform', '平台（登录用户）'), ('letter', '来信'), ('phone', '来电'), ('visit', '来访')], default='platform', max_length=20, verbose_name='渠道')),
                ('subject', models.CharField(max_length=200, verbose_name='标题')),
                ('content', models.TextField(verbose_name='内容')),
                ('trade_number', models.CharField(blank=True, max_length=40, verbose_name='涉及交易编号')),
                ('complainant_name', models.CharField(blank=True, max_length=100, verbose_name='投诉人')),
                ('complainant_contact', models.CharField(blank=True, max_length=100, verbose_name='联系方式')),
                ('source_hash', models.CharField(blank=True, db_index=True, editable=False, max_length=64)),
                ('receipt_token', models.CharField(editable=False, max_length=40, unique=True, verbose_name='查询码')),
                ('status', django_fsm.FSMField(choices=[('submitted', '已提交'), ('accepted', '已受理'), ('investigating', '调查处理中'), ('resolved', '已办结'), ('dismissed', '不予受理/驳回')], default='submitted', max_length=20, protected=True, verbose_name='状态')),
                ('submitted_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='提交时间')),
                ('accepted_at', models.DateTimeField(blank=True, null=True, verbose_name='受理时间')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='办结时间')),
                ('resolution', models.TextField(blank=True, verbose_name='处理结果')),
                ('public_reply', models.TextField(blank=True, help_text='投诉人凭查询码可见；不得包含个人信息', verbose_name='公开答复')),
                ('is_demo', models.BooleanField(default=False, verbose_name='演示数据')),
                ('complainant_user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='提交账户')),
                ('handler', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='承办人')),
                ('region', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.region', verbose_name='涉及行政区')),
            ],
            options={
                'verbose_name': '争议和投诉',
                'verbose_name_plural': '争议和投诉',
                'ordering': ['-id'],
            },
            bases=(django_fsm.FSMModelMixin, models.Model),
        ),
        migrations.CreateModel(
            name='ComplaintEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(auto_now_add=True, verbose_name='时间')),
                ('actor_name', models.CharField(max_length=150, verbose_name='经办人')),
                ('action', models.CharField(max_length=20, verbose_name='操作')),
                ('from_status', models.CharField(blank=True, max_length=20, verbose_name='原状态')),
                ('to_status', models.CharField(max_length=20, verbose_name='新状态')),
                ('note', models.TextField(blank=True, verbose_name='说明')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('complaint', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='supervision.complaint')),
            ],
            options={
                'verbose_name': '处理记录',
                'verbose_name_plural': '处理记录',
                'ordering': ['at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='Enforcement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(blank=True, max_length=40, null=True, unique=True, verbose_name='决定编号')),
                ('assessment_year', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='考核年度')),
                ('finding', models.TextField(verbose_name='考核结论')),
                ('figures', models.JSONField(blank=True, default=dict, verbose_name='考核数据')),
                ('decided_at', models.DateTimeField(auto_now_add=True, verbose_name='决定时间')),
                ('lift_evidence', models.TextField(blank=True, verbose_name='整改达标情况')),
                ('is_demo', models.BooleanField(default=False, verbose_name='演示数据')),
                ('decided_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('restriction', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='enforcement', to='trading.tradingrestriction', verbose_name='交易限制')),
            ],
            options={
                'verbose_name': '交易约束决定（S6）',
                'verbose_name_plural': '交易约束决定（S6）',
                'ordering': ['-id'],
            },
        ),
        migrations.CreateModel(
            name='NationalExport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('batch_id', models.CharField(max_length=40, unique=True, verbose_name='批次号')),
                ('schema_version', models.CharField(max_length=20, verbose_name='格式版本')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='生成时间')),
                ('since', models.DateTimeField(blank=True, null=True, verbose_name='起始时间')),
                ('counts', models.JSONField(default=dict, verbose_name='记录数')),
                ('sha256', models.CharField(max_length=64, verbose_name='文件摘要')),
                ('payload', models.JSONField(verbose_name='导出内容')),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '国家系统数据报送',
                'verbose_name_plural': '国家系统数据报送',
                'ordering': ['-id'],
            },
        ),
        migrations.CreateModel(
            name='NationalAcknowledgement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('ack_id', models.CharField(max_length=80, unique=True, verbose_name='回执编号')),
                ('received_at', models.DateTimeField(auto_now_add=True, verbose_name='导入时间')),
                ('accepted', models.PositiveIntegerField(default=0, verbose_name='接收')),
                ('rejected', models.PositiveIntegerField(default=0, verbose_name='退回')),
                ('payload', models.JSONField(verbose_name='回执内容')),
                ('imported_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('export', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='acknowledgements', to='supervision.nationalexport')),
            ],
            options={
                'verbose_name': '国家系统回执',
                'verbose_name_plural': '国家系统回执',
                'ordering': ['-id'],
            },
        ),
        migrations.CreateModel(
            name='SiteInspection',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('inspected_on', models.DateField(verbose_name='检查日期')),
                ('inspectors', models.CharField(max_length=200, verbose_name='检查人员')),
                ('location', models.CharField(max_length=200, verbose_name='检查地点')),
                ('saving_measures_ok', models.BooleanField(null=True, verbose_name='节水措施真实有效')),
                ('saving_measures_note', models.TextField(blank=True, verbose_name='节水措施检查情况')),
                ('metering_ok', models.BooleanField(null=True, verbose_name='计量设施安装并有效')),
                ('metering_note', models.TextField(blank=True, verbose_name='计量设施检查情况')),
                ('third_party_note', models.TextField(blank=True, verbose_name='对公共利益和利害关系人的影响及补偿')),
                ('conclusion', models.CharField(choices=[('passed', '符合要求'), ('rectify', '限期整改'), ('failed', '不符合要求')], max_length=20, verbose_name='检查结论')),
                ('recorded_at', models.DateTimeField(auto_now_add=True, verbose_name='记录时间')),
                ('is_demo', models.BooleanField(default=False, verbose_name='演示数据')),
                ('recorded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('trade', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='site_inspections', to='trading.trade', verbose_name='交易')),
            ],
            options={
                'verbose_name': '现场核查（S3）',
                'verbose_name_plural': '现场核查（S3）',
                'ordering': ['-inspected_on', '-id'],
            },
        ),
        migrations.CreateModel(
            name='TradeEvaluation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('evaluated_on', models.DateField(verbose_name='评估日期')),
                ('evaluators', models.CharField(max_length=200, verbose_name='评估人员/机构')),
                ('volume_truthful', models.BooleanField(verbose_name='交易水量真实')),
                ('procedure_compliant', models.BooleanField(verbose_name='交易程序规范')),
                ('price_reasonable', models.BooleanField(verbose_name='交易价格合理')),
                ('funds_safe', models.BooleanField(verbose_name='交易资金安全')),
                ('third_party_impact', models.TextField(blank=True, verbose_name='对第三方和公共利益的影响')),
                ('water_use_effect', models.TextField(blank=True, verbose_name='用水效率与节水效果')),
                ('rating', models.CharField(choices=[('good', '良好'), ('acceptable', '合格'), ('poor', '较差')], max_length=20, verbose_name='总体评价')),
                ('recommendations', models.TextField(blank=True, verbose_name='意见和建议')),
                ('facts', models.JSONField(blank=True, default=dict, verbose_name='平台数据')),
                ('status', models.CharField(choices=[('draft', '草稿'), ('final', '已定稿')], default='draft', max_length=20, verbose_name='状态')),
                ('recorded_at', models.DateTimeField(auto_now_add=True, verbose_name='记录时间')),
                ('finalized_at', models.DateTimeField(blank=True, null=True, verbose_name='定稿时间')),
                ('is_demo', models.BooleanField(default=False, verbose_name='演示数据')),
                ('recorded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('trade', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='evaluations', to='trading.trade', verbose_name='交易')),
            ],
            options={
                'verbose_name': '交易后评估',
                'verbose_name_plural': '交易后评估',
                'ordering': ['-evaluated_on', '-id'],
            },
        ),
        migrations.CreateModel(
            name='AssessmentFigures',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(2000), django.core.validators.MaxValueValidator(2100)], verbose_name='年度')),
                ('gdp_100m_yuan', models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.01'))], verbose_name='地区生产总值（亿元）')),
                ('industrial_va_100m_yuan', models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.01'))], verbose_name='工业增加值（亿元）')),
                ('irrigation_coefficient', models.DecimalField(blank=True, decimal_places=3, max_digits=4, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.300')), django.core.validators.MaxValueValidator(Decimal('1.000'))], verbose_name='农田灌溉水有效利用系数')),
                ('nonconventional_use_m3', models.PositiveBigIntegerField(blank=True, null=True, verbose_name='非常规水利用量（立方米）')),
                ('groundwater_withdrawal_m3', models.PositiveBigIntegerField(blank=True, null=True, verbose_name='地下水开采量（立方米）')),
                ('basis', models.CharField(blank=True, help_text='如：南阳市统计年鉴、水资源公报', max_length=200, verbose_name='数据来源')),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('is_demo', models.BooleanField(default=False, verbose_name='演示数据')),
                ('entered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('region', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='assessment_figures', to='registry.region', verbose_name='行政区')),
            ],
            options={
                'verbose_name': '考核基础数据',
                'verbose_name_plural': '考核基础数据',
                'ordering': ['-year', 'region__sort_order'],
                'constraints': [models.UniqueConstraint(fields=('region', 'year'), name='supervision_assessmentfigures_unique')],
            },
        ),
        migrations.CreateModel(
            name='NationalExportItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('record_type', models.CharField(max_length=20, verbose_name='记录类型')),
                ('record_id', models.CharField(max_length=60, verbose_name='本地编号')),
                ('number', models.CharField(blank=True, max_length=60, verbose_name='编号')),
                ('payload_sha256', models.CharField(max_length=64, verbose_name='记录摘要')),
                ('status', models.CharField(choices=[('pending', '待回执'), ('accepted', '已接收'), ('rejected', '被退回')], default='pending', max_length=20, verbose_name='状态')),
                ('national_id', models.CharField(blank=True, max_length=80, verbose_name='国家系统编号')),
                ('message', models.CharField(blank=True, max_length=500, verbose_name='回执说明')),
                ('acknowledged_at', models.DateTimeField(blank=True, null=True, verbose_name='回执时间')),
                ('export', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='items', to='supervision.nationalexport')),
            ],
            options={
                'verbose_name': '报送记录',
                'verbose_name_plural': '报送记录',
                'ordering': ['export', 'record_type', 'record_id'],
                'indexes': [models.Index(fields=['record_type', 'record_id'], name='supervision_exportitem_rec_idx')],
                'constraints': [models.UniqueConstraint(fields=('export', 'record_type', 'record_id'), name='supervision_exportitem_unique')],
            },
        ),
    ]
