import django.core.validators
import django.db.models.deletion
import django_fsm
from decimal import Decimal
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
    ]
