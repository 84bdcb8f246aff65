from decimal import Decimal

import django.core.validators
import django.db.models.deletion
import django_fsm
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('ledger', '0002_triggers'),
        ('registry', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AllocationRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(blank=True, max_length=30, null=True, unique=True, verbose_name='编号')),
                ('engine', models.CharField(choices=[('regional', '区域用水权（双控目标）'), ('snwd', '南水北调用水权'), ('river', '河流年度水量分配'), ('groundwater', '地下水管控指标'), ('permit', '取水权核定'), ('irrigation', '灌溉用水户水权')], max_length=20, verbose_name='分配类型')),
                ('title', models.CharField(max_length=200, verbose_name='名称')),
                ('status', django_fsm.FSMField(choices=[('draft', '草稿'), ('computed', '已计算'), ('reviewed', '已审核'), ('approved', '已批准'), ('registered', '已登记'), ('issued', '已发证'), ('revoked', '已撤销')], default='draft', max_length=20, protected=True, verbose_name='状态')),
                ('first_year', models.PositiveSmallIntegerField(verbose_name='起始年度')),
                ('last_year', models.PositiveSmallIntegerField(verbose_name='终止年度')),
                ('parameters', models.JSONField(blank=True, default=dict, verbose_name='编制参数')),
                ('inputs', models.JSONField(blank=True, default=dict, verbose_name='计算输入')),
                ('formula', models.TextField(blank=True, verbose_name='计算公式')),
                ('formula_en', models.TextField(blank=True, verbose_name='计算公式（英文）')),
                ('result', models.JSONField(blank=True, default=dict, verbose_name='计算结果')),
                ('total_m3', models.BigIntegerField(blank=True, null=True, verbose_name='确权水量合计（立方米/年）')),
                ('legal_basis', models.CharField(blank=True, max_length=300, verbose_name='权属依据')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                ('computed_at', models.DateTimeField(blank=True, null=True, verbose_name='计算时间')),
                ('registered_at', models.DateTimeField(blank=True, null=True, verbose_name='登记时间')),
                ('is_demo', models.BooleanField(default=False, verbose_name='演示数据')),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='编制人')),
                ('irrigation_district', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='allocation_runs', to='registry.irrigationdistrict', verbose_name='灌区')),
                ('permit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='allocation_runs', to='registry.withdrawalpermit', verbose_name='取水许可证')),
                ('region', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='allocation_runs', to='registry.region', verbose_name='行政区')),
            ],
            options={
                'verbose_name': '分配与登记',
                'verbose_name_plural': '分配与登记',
                'ordering': ['-id'],
            },
            bases=(django_fsm.FSMModelMixin, models.Model),
        ),
        migrations.CreateModel(
            name='AllocationLine',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.PositiveIntegerField(verbose_name='序号')),
                ('role', models.CharField(choices=[('right', '确权水量'), ('ecological', '河道生态水量'), ('sector', '分行业指标'), ('obligation', '非常规水最低利用量'), ('detail', '计算明细')], max_length=20, verbose_name='类别')),
                ('label', models.CharField(max_length=200, verbose_name='名称')),
                ('use', models.CharField(choices=[('domestic', '生活'), ('industrial', '工业'), ('agricultural', '农业'), ('ecological', '生态'), ('urban_environment', '城市环境'), ('mixed', '综合')], default='mixed', max_length=20, verbose_name='用途')),
                ('source_type', models.CharField(choices=[('surface', '地表水'), ('groundwater', '地下水'), ('snwd', '南水北调'), ('nonconventional', '非常规水'), ('mixed', '多水源')], default='mixed', max_length=20, verbose_name='水源类型')),
                ('year', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='年度')),
                ('volume_m3', models.BigIntegerField(verbose_name='水量（立方米）')),
                ('exact', models.CharField(blank=True, max_length=40, verbose_name='未取整值')),
                ('detail', models.JSONField(blank=True, default=dict, verbose_name='计算明细')),
                ('association', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='allocation_lines', to='registry.association', verbose_name='协会')),
                ('household', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='allocation_lines', to='registry.household', verbose_name='用水户')),
                ('irrigation_district', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.irrigationdistrict', verbose_name='灌区')),
                ('parent_line', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='children', to='allocation.allocationline')),
                ('region', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.region', verbose_name='行政区')),
                ('right', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='allocation_lines', to='ledger.waterright', verbose_name='用水权')),
                ('river', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.river', verbose_name='河流')),
                ('water_user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.wateruser', verbose_name='取用水户')),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='allocation.allocationrun')),
            ],
            options={
                'ordering': ['run', 'seq'],
            },
        ),
        migrations.CreateModel(
            name='Certificate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(max_length=60, unique=True, verbose_name='凭证编号')),
                ('machine_number', models.CharField(max_length=24, unique=True, verbose_name='机读编号')),
                ('series', models.CharField(max_length=2, verbose_name='编号序列')),
                ('year', models.PositiveSmallIntegerField(verbose_name='发证年份')),
                ('serial', models.PositiveIntegerField(verbose_name='流水号')),
                ('kind', models.CharField(choices=[('water_right', '水权证'), ('association', '用水权属凭证（协会）'), ('household', '用水权属凭证（用水户）')], max_length=20, verbose_name='凭证类型')),
                ('holder_public', models.CharField(max_length=200, verbose_name='权利人（公开）')),
                ('volume_m3', models.BigIntegerField(verbose_name='年度水量（立方米）')),
                ('valid_from', models.DateField(verbose_name='有效期起')),
                ('valid_to', models.DateField(verbose_name='有效期止')),
                ('issuer', models.CharField(max_length=120, verbose_name='发证单位')),
                ('issued_at', models.DateTimeField(verbose_name='发证时间')),
                ('status', models.CharField(choices=[('valid', '有效'), ('revoked', '已注销')], default='valid', max_length=20, verbose_name='状态')),
                ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='注销时间')),
                ('revoked_reason', models.CharField(blank=True, max_length=300, verbose_name='注销原因')),
                ('token', models.CharField(max_length=40, unique=True, verbose_name='核验码')),
                ('is_demo', models.BooleanField(default=False, verbose_name='演示数据')),
                ('issued_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('line', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='certificate', to='allocation.allocationline')),
                ('region', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.region', verbose_name='行政区')),
                ('right', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='certificates', to='ledger.waterright', verbose_name='用水权')),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='certificates', to='allocation.allocationrun', verbose_name='分配与登记')),
            ],
            options={
                'verbose_name': '水权凭证',
                'verbose_name_plural': '水权凭证',
                'ordering': ['-year', 'series', '-serial'],
            },
        ),
        migrations.CreateModel(
            name='CertificateCounter',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('series', models.CharField(max_length=2)),
                ('year', models.PositiveSmallIntegerField()),
                ('last', models.PositiveIntegerField(default=0)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('series', 'year'), name='allocation_certificatecounter_unique')],
            },
        ),
        migrations.CreateModel(
            name='CropQuota',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                ('last_updated', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                ('is_demo', models.BooleanField(default=False, help_text='生成的演示数据，非真实登记', verbose_name='演示数据')),
                ('comments', models.TextField(blank=True, verbose_name='备注')),
                ('crop', models.CharField(choices=[('wheat', '小麦'), ('corn', '玉米'), ('rice', '水稻'), ('peanut', '花生'), ('soybean', '大豆'), ('vegetable', '蔬菜'), ('orchard', '林果'), ('other', '其他作物')], max_length=20, verbose_name='作物')),
                ('zone', models.CharField(default='南阳盆地区', max_length=40, verbose_name='灌溉分区')),
                ('frequency', models.DecimalField(decimal_places=2, max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0.01')), django.core.validators.MaxValueValidator(Decimal('99.99'))], verbose_name='水文频率（%）')),
                ('net_quota_m3_per_mu', models.DecimalField(decimal_places=2, max_digits=8, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='净灌溉定额（立方米/亩）')),
                ('standard_ref', models.CharField(default='DB41/T 958', max_length=120, verbose_name='依据')),
            ],
            options={
                'verbose_name': '作物灌溉定额',
                'verbose_name_plural': '作物灌溉定额',
                'ordering': ['zone', 'crop', 'frequency'],
                'constraints': [models.UniqueConstraint(fields=('crop', 'zone', 'frequency'), name='allocation_cropquota_unique')],
            },
        ),
        migrations.CreateModel(
            name='GroundwaterIndicator',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                ('last_updated', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                ('is_demo', models.BooleanField(default=False, help_text='生成的演示数据，非真实登记', verbose_name='演示数据')),
                ('comments', models.TextField(blank=True, verbose_name='备注')),
                ('year', models.PositiveSmallIntegerField(verbose_name='指标年')),
                ('volume_m3', models.PositiveBigIntegerField(verbose_name='地下水取水指标（立方米）')),
                ('basis', models.CharField(blank=True, max_length=200, verbose_name='依据')),
                ('region', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='groundwater_indicators', to='registry.region', verbose_name='行政区')),
            ],
            options={
                'verbose_name': '地下水管控指标',
                'verbose_name_plural': '地下水管控指标',
                'ordering': ['year', 'region__sort_order'],
            },
        ),
        migrations.CreateModel(
            name='IrrigationProfile',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                ('last_updated', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                ('is_demo', models.BooleanField(default=False, help_text='生成的演示数据，非真实登记', verbose_name='演示数据')),
                ('comments', models.TextField(blank=True, verbose_name='备注')),
                ('zone', models.CharField(default='南阳盆地区', max_length=40, verbose_name='灌溉分区')),
                ('design_frequency', models.DecimalField(decimal_places=2, default=Decimal('75'), max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0.01')), django.core.validators.MaxValueValidator(Decimal('99.99'))], verbose_name='设计保证率（%）')),
                ('coefficient', models.DecimalField(decimal_places=3, help_text='毛灌溉定额 = 净灌溉定额 ÷ η', max_digits=4, validators=[django.core.validators.MinValueValidator(Decimal('0.300')), django.core.validators.MaxValueValidator(Decimal('1.000'))], verbose_name='灌溉水有效利用系数 η')),
                ('basis', models.CharField(blank=True, max_length=200, verbose_name='依据')),
                ('district', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='irrigation_profile', to='registry.irrigationdistrict', verbose_name='灌区')),
            ],
            options={
                'verbose_name': '灌区灌溉参数',
                'verbose_name_plural': '灌区灌溉参数',
                'ordering': ['district__name'],
            },
        ),
        migrations.CreateModel(
            name='PlantingShare',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                ('last_updated', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                ('is_demo', models.BooleanField(default=False, help_text='生成的演示数据，非真实登记', verbose_name='演示数据')),
                ('comments', models.TextField(blank=True, verbose_name='备注')),
                ('crop', models.CharField(choices=[('wheat', '小麦'), ('corn', '玉米'), ('rice', '水稻'), ('peanut', '花生'), ('soybean', '大豆'), ('vegetable', '蔬菜'), ('orchard', '林果'), ('other', '其他作物')], max_length=20, verbose_name='作物')),
                ('share', models.DecimalField(decimal_places=4, help_text='占有效灌溉面积的比例，0–1；同一灌区各作物之和应为1（复种按主要灌溉季计）', max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0.0001')), django.core.validators.MaxValueValidator(Decimal('1'))], verbose_name='种植比例')),
                ('district', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='planting_shares', to='registry.irrigationdistrict', verbose_name='灌区')),
            ],
            options={
                'verbose_name': '种植结构',
                'verbose_name_plural': '种植结构',
                'ordering': ['district__name', '-share'],
            },
        ),
        migrations.CreateModel(
            name='RiverPlan',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                ('last_updated', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                ('is_demo', models.BooleanField(default=False, help_text='生成的演示数据，非真实登记', verbose_name='演示数据')),
                ('comments', models.TextField(blank=True, verbose_name='备注')),
                ('name', models.CharField(max_length=120, unique=True, verbose_name='方案名称')),
                ('legal_basis', models.CharField(blank=True, max_length=200, verbose_name='批复文件')),
                ('status', models.CharField(choices=[('draft', '编制中'), ('approved', '已批复'), ('superseded', '已废止')], default='draft', max_length=20, verbose_name='状态')),
                ('approved_at', models.DateTimeField(blank=True, null=True, verbose_name='批复时间')),
                ('approved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('river', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='allocation_plans', to='registry.river', verbose_name='河流')),
            ],
            options={
                'verbose_name': '河流水量分配方案',
                'verbose_name_plural': '河流水量分配方案',
                'ordering': ['river__name', 'name'],
            },
        ),
        migrations.AddField(
            model_name='allocationrun',
            name='river_plan',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='runs', to='allocation.riverplan', verbose_name='河流水量分配方案'),
        ),
        migrations.CreateModel(
            name='RiverPlanPoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('frequency', models.DecimalField(decimal_places=2, max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0.01')), django.core.validators.MaxValueValidator(Decimal('99.99'))], verbose_name='水文频率（%）')),
                ('total_m3', models.BigIntegerField(verbose_name='可分配水量（立方米）')),
                ('ecological_m3', models.BigIntegerField(verbose_name='河道生态水量（立方米）')),
                ('plan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='points', to='allocation.riverplan')),
            ],
            options={
                'verbose_name': '方案频率年',
                'verbose_name_plural': '方案频率年',
                'ordering': ['plan', 'frequency'],
            },
        ),
        migrations.CreateModel(
            name='RiverPlanShare',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('volume_m3', models.BigIntegerField(verbose_name='分配水量（立方米）')),
                ('point', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='shares', to='allocation.riverplanpoint')),
                ('region', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.region', verbose_name='行政区')),
            ],
            options={
                'ordering': ['point', 'region__sort_order'],
            },
        ),
        migrations.CreateModel(
            name='RunTransition',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=20, verbose_name='操作')),
                ('source', models.CharField(choices=[('draft', '草稿'), ('computed', '已计算'), ('reviewed', '已审核'), ('approved', '已批准'), ('registered', '已登记'), ('issued', '已发证'), ('revoked', '已撤销')], max_length=20, verbose_name='原状态')),
                ('target', models.CharField(choices=[('draft', '草稿'), ('computed', '已计算'), ('reviewed', '已审核'), ('approved', '已批准'), ('registered', '已登记'), ('issued', '已发证'), ('revoked', '已撤销')], max_length=20, verbose_name='新状态')),
                ('actor_name', models.CharField(max_length=150, verbose_name='经办人')),
                ('acting_for', models.CharField(blank=True, max_length=100, verbose_name='代表机关')),
                ('at', models.DateTimeField(auto_now_add=True, verbose_name='时间')),
                ('reason', models.TextField(blank=True, verbose_name='意见/理由')),
                ('actor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='transitions', to='allocation.allocationrun')),
            ],
            options={
                'verbose_name': '审批记录',
                'verbose_name_plural': '审批记录',
                'ordering': ['run', 'id'],
            },
        ),
        migrations.CreateModel(
            name='WaterQuota',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                ('last_updated', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                ('is_demo', models.BooleanField(default=False, help_text='生成的演示数据，非真实登记', verbose_name='演示数据')),
                ('comments', models.TextField(blank=True, verbose_name='备注')),
                ('standard', models.CharField(choices=[('DB41/T 385', 'DB41/T 385《工业与城镇生活用水定额》'), ('DB41/T 958', 'DB41/T 958《农业与农村生活用水定额》')], max_length=20, verbose_name='标准')),
                ('edition', models.CharField(help_text='如 DB41/T 385-2020', max_length=40, verbose_name='标准版本')),
                ('product', models.CharField(max_length=80, verbose_name='产品或用水类别')),
                ('unit', models.CharField(help_text='规模的单位，如 吨、万元、人、亩', max_length=20, verbose_name='计量单位')),
                ('quota_m3', models.DecimalField(decimal_places=4, max_digits=14, validators=[django.core.validators.MinValueValidator(Decimal('0.0001'))], verbose_name='定额值（立方米/单位）')),
                ('level', models.CharField(choices=[('advanced', '先进值'), ('general', '通用值')], default='general', max_length=20, verbose_name='定额等级')),
                ('is_active', models.BooleanField(default=True, verbose_name='现行')),
                ('sector', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='water_quotas', to='registry.sector', verbose_name='行业（GB/T 4754）')),
            ],
            options={
                'verbose_name': '用水定额',
                'verbose_name_plural': '用水定额',
                'ordering': ['standard', 'sector__code', 'product', 'level'],
            },
        ),
        migrations.AddConstraint(
            model_name='allocationline',
            constraint=models.UniqueConstraint(fields=('run', 'seq'), name='allocation_allocationline_unique'),
        ),
        migrations.AddConstraint(
            model_name='certificate',
            constraint=models.UniqueConstraint(fields=('series', 'year', 'serial'), name='allocation_certificate_serial_unique'),
        ),
        migrations.AddConstraint(
            model_name='groundwaterindicator',
            constraint=models.UniqueConstraint(fields=('region', 'year'), name='allocation_groundwaterindicator_unique'),
        ),
        migrations.AddConstraint(
            model_name='plantingshare',
            constraint=models.UniqueConstraint(fields=('district', 'crop'), name='allocation_plantingshare_unique'),
        ),
        migrations.AddIndex(
            model_name='allocationrun',
            index=models.Index(fields=['engine', 'status'], name='allocation_run_engine_status'),
        ),
        migrations.AddConstraint(
            model_name='allocationrun',
            constraint=models.CheckConstraint(condition=models.Q(('last_year__gte', models.F('first_year'))), name='allocation_allocationrun_year_order', violation_error_message='终止年度不能早于起始年度'),
        ),
        migrations.AddConstraint(
            model_name='riverplanpoint',
            constraint=models.UniqueConstraint(fields=('plan', 'frequency'), name='allocation_riverplanpoint_unique'),
        ),
        migrations.AddConstraint(
            model_name='riverplanpoint',
            constraint=models.CheckConstraint(condition=models.Q(('ecological_m3__gte', 0), ('total_m3__gte', models.F('ecological_m3'))), name='allocation_riverplanpoint_ecological_within_total', violation_error_message='生态水量不能为负，也不能超过可分配水量'),
        ),
        migrations.AddConstraint(
            model_name='riverplanshare',
            constraint=models.UniqueConstraint(fields=('point', 'region'), name='allocation_riverplanshare_unique'),
        ),
        migrations.AddConstraint(
            model_name='riverplanshare',
            constraint=models.CheckConstraint(condition=models.Q(('volume_m3__gte', 0)), name='allocation_riverplanshare_nonnegative'),
        ),
        migrations.AddConstraint(
            model_name='waterquota',
            constraint=models.UniqueConstraint(fields=('edition', 'sector', 'product', 'level'), name='allocation_waterquota_unique'),
        ),
        migrations.AddConstraint(
            model_name='waterquota',
            constraint=models.CheckConstraint(condition=models.Q(('quota_m3__gt', 0)), name='allocation_waterquota_positive', violation_error_message='定额值应大于0'),
        ),
    ]
