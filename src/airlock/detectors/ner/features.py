"""Character features of the Chinese name tagger, shared by training and inference.

Every position of a text gets ``len(TEMPLATES)`` hashed feature indices. A template is a
combination of the characters and character classes at offsets -2..+2 (a window of five),
for example "the character itself", "the bigram of the previous and this character", or
"the classes of the previous, this and the next character". The hash is computed for all
positions at once: the window values (code points and classes, exact integers in float64)
are multiplied by one integer matrix with a BLAS call, then mixed multiplicatively into
``bits`` bits. Training (``scripts/train_ner.py``) calls the same functions, so inference
sees exactly the features the weights were fitted on.

Character classes (one byte): a base kind (Han, digit, Latin letter, punctuation or space,
text boundary, other) and flags for common surnames, rarer surnames, characters frequent in
given names, characters of Chinese transliterations of foreign names, and function
characters (的, 了, 是 ...).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "BOUNDARY_CP",
    "COMMON_SURNAMES",
    "COMPOUND_SURNAMES",
    "FUNCTION_CHARS",
    "GIVEN_CHARS",
    "RARE_SURNAMES",
    "TEMPLATES",
    "TRANSLIT_CHARS",
    "class_table",
    "codepoints",
    "feature_index",
]

# surnames that cover ~90% of the population (the rule detector's list plus a few)
COMMON_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪"
    "范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜"
    "倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲"
    "房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商"
    "刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝洪鞠羊薄栗楚屠慕阎衡钮靖满匡阙蔚越夔隆晁勾融訾阚乜须巢蒯荆竺逯盖桓"
    "萧傅赖谈乐冀郁胥燕鄢谌奚粟冼蔺闻仝郜朴禹祖漆卿狄宣芮扈邸雍辜裘亓邰杭宿茹嵇湛戎茅揭昝"
)
# rarer surnames that are also ordinary words (国, 平, 海 ...): a weaker signal
RARE_SURNAMES = (
    "官封南班储原劳皮盘楼位厉伊区海花权强帅豆练廉井巴丰支国平计索晋相初门云容敬来都普浦戈伏鹿阿乌母修赫况那鲜印诸战危"
    "玉银亢公哈宾利呼居干但尉冶斯元束檀衣信展阴智幸奉植富尧闭由"
)
COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "令狐",
    "端木", "申屠", "轩辕", "独孤", "南宫", "西门", "百里", "呼延", "东郭", "万俟", "闻人", "赫连", "澹台",
)  # fmt: skip
# characters frequent in given names
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建国志文辉鹏飞丹宇浩凯俊峰晨博婷雪琳颖倩慧莉燕梅兰"
    "春宁波斌鑫森林海东亮晓云佳欣怡婧璐琪瑶璇蕾薇莹晶琴韵悦妍媛嫣娇姗蓉蓓茜莎露岚霖雯雨彤舒诗思梦涵萱菲"
    "子轩梓睿宸泽熙瑞昊煜皓嘉哲铭豪晗逸宏鸿翔鹤龙凤麟骏驰腾跃毅坚韬锋锐钧铮镇岩峻嵩崇岳松柏桦"
    "永长庆福禄寿喜德仁义礼智信忠孝贤良淑惠敬恭勤俭朴素诚正清廉安康泰和顺利发荣昌盛兴旺富贵祥吉"
    "学成才武彬君生光耀煌炜烨炎焱灿烁晖旭昕昭晋晟曦昀昆昂秋冬夏雷霆震宵霄青彩虹"
    "金银铁铜钢锦绣珍珠琼瑜瑾璋琦琛瑛玲珊珏珉璟瑄瑭瑗瑀玮炯焕然"
    "一二三小大中天人山水江河湖泉溪澜洁澄润泓淼渊源沛洪浦潇湘漫沁汐"
    "远家可馨诺依紫航卫新朝环宝臣守兆化民振升健帆帅欢阳坤想兵利楠畅柳荣芝香花"
)
# foreign names written in Chinese (克林顿, 内塔尼亚胡, 莫里尼奥)
TRANSLIT_CHARS = (
    "阿埃艾安昂奥巴拜班邦保贝本比彼宾波伯博布查达戴丹道德登迪蒂丁东杜顿多厄恩法范菲费芬丰佛夫弗福盖甘冈高戈格"
    "根古瓜圭哈海汉豪赫亨侯胡华霍基吉加贾杰金卡凯坎康考科克肯库夸奎拉莱赖兰朗劳勒雷里利连林琳卢鲁伦罗洛马迈"
    "麦曼芒梅门蒙米明莫默姆穆纳奈南内尼努诺欧帕潘佩彭皮珀普奇齐恰乔切琼萨塞桑瑟森沙莎尚舍什施斯松苏索塔泰坦"
    "汤唐特滕提图托瓦万旺威韦维温沃乌伍西希谢休雅亚扬耶伊因英尤于约泽扎詹兹佐"
)
FUNCTION_CHARS = "的了是在和与及就也都还又已被把将对从向给让说等着过么吗呢吧啊这那个们我你他她它有不没很"

BOUNDARY_CP = 0x110001  # beyond Unicode: the padding around a text

_KIND_OTHER, _KIND_HAN, _KIND_DIGIT, _KIND_LATIN, _KIND_PUNCT, _KIND_BOUNDARY = range(6)
_COMMON, _RARE, _GIVEN, _TRANSLIT, _FUNCTION = 8, 16, 32, 64, 128

# A template names the window columns it combines: 0..4 are the code points at offsets
# -2..+2, 5..9 the classes at offsets -2..+2. The empty template is the bias.
TEMPLATES: tuple[tuple[int, ...], ...] = (
    (),
    (0,), (1,), (2,), (3,), (4,),  # characters
    (0, 1), (1, 2), (2, 3), (3, 4), (1, 3),  # character bigrams (and the skip-gram around)
    (1, 2, 3),  # character trigram
    (7,), (6, 7), (7, 8), (6, 7, 8), (5, 6, 7), (7, 8, 9),  # class n-grams
    (2, 8), (6, 2), (1, 7),  # a character with its neighbour's class
)  # fmt: skip
_WINDOW = 5
_PAD = _WINDOW // 2
_MIX = np.uint64(0x9E3779B97F4A7C15)


def _constants() -> npt.NDArray[np.float64]:
    """The (10, T) integer matrix of the linear hash, from a fixed LCG (no RNG state)."""
    state = 0x2545F4914F6CDD1D
    matrix = np.zeros((2 * _WINDOW, len(TEMPLATES)), dtype=np.float64)
    for t, cols in enumerate(TEMPLATES):
        for col in cols:
            state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
            matrix[col, t] = float((state >> 40) | (1 << 22))  # 23-24 bits: exact sums < 2**53
    return matrix


_MATRIX = _constants()
_OFFSETS = np.arange(len(TEMPLATES), dtype=np.float64) * float(1 << 47)  # keeps templates apart


def class_table() -> npt.NDArray[np.uint8]:
    """Class byte for every BMP code point (characters above the BMP are ``other``)."""
    table = np.zeros(0x10000, dtype=np.uint8)
    table[0x3400:0x4DC0] = _KIND_HAN
    table[0x4E00:0xA000] = _KIND_HAN
    table[0xF900:0xFB00] = _KIND_HAN
    table[ord("0") : ord("9") + 1] = _KIND_DIGIT
    table[ord("A") : ord("Z") + 1] = _KIND_LATIN
    table[ord("a") : ord("z") + 1] = _KIND_LATIN
    for ch in " \t\r\u3000" + "".join(chr(c) for c in range(0x21, 0x30)) + ":;<=>?@[\\]^_`{|}~":
        table[ord(ch)] = _KIND_PUNCT
    for ch in "，。、；：！？“”‘’（）《》【】「」『』…—·～":
        table[ord(ch)] = _KIND_PUNCT
    table[ord("\n")] = _KIND_BOUNDARY
    for chars, flag in (
        (COMMON_SURNAMES + "".join(s[0] for s in COMPOUND_SURNAMES), _COMMON),
        (RARE_SURNAMES, _RARE),
        (GIVEN_CHARS, _GIVEN),
        (TRANSLIT_CHARS, _TRANSLIT),
        (FUNCTION_CHARS, _FUNCTION),
    ):
        for ch in set(chars):
            table[ord(ch)] |= flag
    return table


_CLASSES = class_table()


def codepoints(text: str) -> npt.NDArray[np.uint32]:
    """The code points of ``text`` as an array (one element per Python character)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def feature_index(
    cps: npt.NDArray[np.uint32], bits: int, positions: npt.NDArray[np.intp] | None = None
) -> npt.NDArray[np.intp]:
    """Hashed feature indices, shape ``(len(positions), len(TEMPLATES))``, values < 2**bits.

    ``positions`` selects the positions to featurise (default: all); the window around each
    still sees the whole text.
    """
    n = len(cps)
    padded = np.empty(n + 2 * _PAD, dtype=np.float64)
    padded[:_PAD] = BOUNDARY_CP
    padded[n + _PAD :] = BOUNDARY_CP
    padded[_PAD : n + _PAD] = cps
    classes = np.empty(n + 2 * _PAD, dtype=np.float64)
    classes[:_PAD] = _KIND_BOUNDARY
    classes[n + _PAD :] = _KIND_BOUNDARY
    classes[_PAD : n + _PAD] = _CLASSES[np.minimum(cps, 0xFFFF)]
    if n and cps.max() > 0xFFFF:
        classes[_PAD : n + _PAD][cps > 0xFFFF] = _KIND_OTHER
    if positions is None:
        positions = np.arange(n, dtype=np.intp)
    window = np.empty((len(positions), 2 * _WINDOW), dtype=np.float64)
    window[:, :_WINDOW] = sliding_window_view(padded, _WINDOW)[positions]
    window[:, _WINDOW:] = sliding_window_view(classes, _WINDOW)[positions]
    hashed = (window @ _MATRIX + _OFFSETS).astype(np.uint64)
    hashed *= _MIX
    hashed >>= np.uint64(64 - bits)
    return hashed.view(np.int64).astype(np.intp, copy=False)
