from django import forms
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    file = forms.FileField(label=_("读数文件（CSV 或 XLSX）"), help_text=_("先预检（不入库），确认后再导入"))
