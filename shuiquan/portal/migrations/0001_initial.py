import django.core.validators
import django.db.models.deletion
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
            name='PolicyDocument',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.SlugField(max_length=60, unique=True, verbose_name='标识')),
                ('title', models.CharField(max_length=200, verbose_name='文件名称')),
                ('issuer', models.CharField(max_length=200, verbose_name='发文/负责单位')),
                ('level', models.CharField(choices=[('national', '国家'), ('provincial', '河南省'), ('municipal', '南阳市')], max_length=20, verbose_name='层级')),
                ('status', models.CharField(choices=[('basis', '编制依据（已印发）'), ('issued', '已印发实施'), ('drafting', '制定中'), ('planned', '待制定'), ('superseded', '已废止/替代')], max_length=20, verbose_name='状态')),
                ('doc_number', models.CharField(blank=True, max_length=60, verbose_name='文号')),
                ('issued_text', models.CharField(blank=True, help_text='按原文，如“2022年8月”', max_length=40, verbose_name='印发时间')),
                ('planned_year', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(2000), django.core.validators.MaxValueValidator(2100)], verbose_name='计划年度')),
                ('summary', models.TextField(blank=True, verbose_name='内容摘要')),
                ('source_section', models.CharField(blank=True, max_length=60, verbose_name='出处')),
                ('url', models.URLField(blank=True, verbose_name='原文链接')),
                ('sort_order', models.PositiveSmallIntegerField(default=0, verbose_name='排序')),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'verbose_name': '政策文件',
                'verbose_name_plural': '政策文件',
                'ordering': ['sort_order', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='SupplyDemandNotice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(blank=True, max_length=30, null=True, unique=True, verbose_name='编号')),
                ('kind', models.CharField(choices=[('offer', '出让'), ('want', '求购')], max_length=10, verbose_name='类型')),
                ('year', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(2000), django.core.validators.MaxValueValidator(2100)], verbose_name='水量年度')),
                ('volume_m3', models.PositiveBigIntegerField(validators=[django.core.validators.MinValueValidator(1)], verbose_name='水量（立方米）')),
                ('price_yuan_per_m3', models.DecimalField(blank=True, decimal_places=4, help_text='空为面议', max_digits=8, null=True, validators=[django.core.validators.MinValueValidator(0)], verbose_name='意向单价（元/立方米）')),
                ('description', models.TextField(blank=True, max_length=1000, verbose_name='说明')),
                ('contact_via', models.CharField(help_text='如“经打磨岗灌区管理局联系”；不得填写个人电话', max_length=120, verbose_name='联系途径')),
                ('valid_until', models.DateField(verbose_name='有效期至')),
                ('status', models.CharField(choices=[('pending', '待审核'), ('published', '已发布'), ('rejected', '未通过审核'), ('withdrawn', '已撤回')], default='pending', max_length=20, verbose_name='状态')),
                ('posted_at', models.DateTimeField(auto_now_add=True, verbose_name='提交时间')),
                ('reviewed_at', models.DateTimeField(blank=True, null=True, verbose_name='审核时间')),
                ('review_note', models.CharField(blank=True, max_length=300, verbose_name='审核意见')),
                ('published_at', models.DateTimeField(blank=True, null=True, verbose_name='发布时间')),
                ('is_demo', models.BooleanField(default=False, verbose_name='演示数据')),
                ('association', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.association', verbose_name='协会')),
                ('district', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.irrigationdistrict', verbose_name='灌区')),
                ('household', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.household', verbose_name='用水户（公开时仅显示编码）')),
                ('posted_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('region', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.region', verbose_name='行政区')),
                ('reviewed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '供求信息',
                'verbose_name_plural': '供求信息',
                'ordering': ['-id'],
                'constraints': [models.CheckConstraint(condition=models.Q(('volume_m3__gt', 0)), name='portal_supplydemandnotice_volume_positive', violation_error_message='水量应大于0')],
            },
        ),
    ]
