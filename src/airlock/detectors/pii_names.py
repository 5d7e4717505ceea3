"""``PERSON``: Chinese and English personal names.

Chinese: a surname (single or compound) followed by one or two given-name characters, scored
by context -- a label before (姓名：, 联系人, 患者, 叫), a title or a speech verb after
(先生, 女士, 同志, 经理, 说, 表示) -- and by how name-like the given characters are. Chinese
transliterations of foreign names (克林顿) need a title or verb after them.

English: a title (Mr, Dr ...) or a label (name:, signed) before capitalised words, or a
first name from the US Census list followed by a surname from the Census list.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Iterator
from functools import cache
from importlib.resources import files

from airlock.detectors.base import Finding
from airlock.detectors.engine import Candidate, Pattern, ScanView
from airlock.detectors.ner.tagger import default_tagger

__all__ = ["ZH_COMPOUND_SURNAMES", "ZH_SURNAMES", "name_list_hook", "name_patterns", "person_model_hook"]

ZH_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪"
    "范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜"
    "倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲"
    "房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商"
    "刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝洪鞠羊薄栗楚屠慕阎衡钮靖满匡阙蔚越夔隆晁勾融訾阚乜须巢蒯荆竺逯盖桓"
)
ZH_COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "令狐",
    "端木", "申屠", "轩辕", "独孤", "南宫", "西门", "百里", "呼延", "东郭", "万俟", "闻人", "赫连", "澹台",
)  # fmt: skip
# characters frequent in given names (hand-picked; none of the ubiquitous function words)
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建国志文辉鹏飞丹宇浩凯俊峰晨博婷雪琳颖倩慧莉燕梅兰"
    "春宁波斌鑫森林海东亮晓云佳欣怡婧璐琪瑶璇蕾薇莹晶琳琴韵悦妍媛嫣娇姗蓉蓓茜莎露岚霖雯雨彤舒诗思梦涵萱菲"
    "子轩梓睿宸泽熙瑞昊煜皓嘉俊哲铭豪晗轩逸宏鸿翔鹤龙凤麟骏驰腾跃毅坚韬略锋锐钧铮铭镇磊岩峻嵩崇岳松柏桦"
    "永长庆福禄寿喜德仁义礼智信忠孝贤良淑惠敬恭勤俭朴素诚正清廉安康泰和顺利发荣昌盛兴旺富贵祥瑞吉庆"
    "学成才武斌彬文君杰生荣光耀辉煌炜烨炎焱灿烁晖旭昕昭晋晟晨曦昀昆昂春秋冬夏雷电霆震宵霄青丹红彩虹"
    "金银铁铜钢锦绣珍珠琼瑜瑾璋琦琛瑛璐玲珊珏珉璟瑄瑭瑗瑀玮炯焕然"
    "一二三四五六七八九小大中天人山水江河湖泉溪涛澜洁澄润泓淼渊源沛洪浦潇湘漫沁汐"
    "志远思源家豪嘉欣子涵雨欣可馨梓涵一诺依诺欣怡紫萱浩宇浩然宇航子豪俊杰明轩建华建军建平建新卫东卫国"
    "秋月冬梅春花夏荷红梅玉兰桂芳秀英秀兰淑珍淑兰凤英凤兰桂英翠花丽华丽娟晓燕晓红晓东晓明晓峰"
    "克泽恩来小平锦涛家宝近朝鹏岚清瑞环永康宝臣守仁兆基嘉诚化腾宏伟卫民振华中华新民新华东升"
)
_ZH_GIVEN = "".join(dict.fromkeys(c for c in _GIVEN if c not in ZH_SURNAMES or c in "文明华林金海"))

# common words that start with a surname character (高兴, 方面 ...): never a name
_ZH_STOPWORD_TEXT = (
    "党委 党组 党支 党内 党外 党风 党性 解除 解放 解释 解答 解读 解说 洪水 满意 满足 盖章 楚国 屠杀 "
    "应当 应对 应邀 应有 成员 成绩 高层 方能 向他 向她 于他 于她 时说 时表 安全 和他 和她 "
    "高兴 高度 高级 高速 高中 方面 方向 方法 方式 方便 方案 黄色 黄金 "
    "王国 周末 周年 周围 常常 常见 许多 于是 张开 白色 白天 马上 文化 "
    "文明 安全 安排 和平 明天 明白 金融 金额 石油 林业 万一 申请 向前 "
    "时间 时候 余下 成功 成为 成立 成本 华人 宁可 宁愿 程度 程序 任何 "
    "任务 任意 沈阳 杨树 江山 江湖 钱包 孙子 朱红 胡说 郭外 何时 何况 "
    "罗马 梁上 谢谢 宋体 唐朝 韩国 冯氏 邓氏 曹操 彭湃 曾经 肖像 田地 "
    "董事 袁氏 潘多 于今 蒋氏 蔡氏 余额 杜绝 叶子 程式 苏联 魏国 吕氏 "
    "丁香 任职 沈氏 姚氏 卢布 姜汤 崔氏 钟表 谭氏 陆地 陆续 汪洋 范围 "
    "金属 石头 廖氏 贾氏 夏天 夏季 韦氏 付出 付款 方才 白菜 邹氏 孟氏 "
    "熊猫 秦朝 邱氏 江苏 尹氏 薛氏 闫氏 段落 雷达 侯爵 龙头 史上 陶瓷 "
    "黎明 贺卡 顾客 顾问 毛病 毛巾 郝氏 龚氏 邵氏 万元 钱财 严格 严重 "
    "武器 戴上 莫非 孔子 向来 汤匙 常规 温度 温暖 康复 施工 文件 文章 "
    "牛奶 樊氏 葛氏 邢氏 安装 齐全 易于 乔木 伍氏 庞大 颜色 倪氏 庄严 "
    "聂氏 章节 鲁莽 岳父 翟氏 殷勤 詹氏 申报 欧洲 耿直 关于 关系 关注 "
    "兰花 焦点 俞氏 左右 柳树 甘肃 祝贺 包括 宁静 尚未 符合 舒服 阮氏 "
    "柯氏 纪律 纪念 梅花 童年 凌晨 毕业 单位 季节 裴氏 霍乱 涂料 成果 "
    "苗条 谷物 盛大 曲线 翁氏 冉冉 骆驼 蓝色 路上 路线 游戏 辛苦 管理 "
    "柴油 蒙古 鲍鱼 华丽 喻氏 祁氏 蒲公 房间 房子 滕氏 屈服 饶恕 解决 "
    "牟利 艾滋 尤其 阳光 时代 穆斯 农业 司机 卓越 古代 吉祥 简单 车辆 "
    "项目 连续 芦苇 麦子 娄氏 窦氏 戚氏 景色 党员 宫殿 费用 卜卦 冷静 "
    "晏氏 席位 卫生 米饭 柏树 宗教 桂花 全部 全国 应该 应用 商品 商业 "
    "和谐 师生 巫师 桑树 明显 池塘 查询 查看 迟到 "
)
_ZH_STOPWORDS = frozenset(_ZH_STOPWORD_TEXT.split())

# a label right before the name: accept any given-name characters
_LEFT_LABEL = re.compile(
    r"(?:姓名|名字|联系人|收件人|收货人|申请人|负责人|经办人|患者|病人|客户|员工|学生|用户|乘客|被告人?|原告|"
    r"当事人|嫌疑人|户主|法定代表人|签名|署名|作者|记者|通讯员|名叫|叫做|我是|我叫|本人|持卡人|开户人|联系|"
    r"(?:Name|name|Contact|contact)[ ]?[:：])[ ：:，,]?$"
)
# a title after the name
_TITLES = (
    r"(?:先生|女士|小姐|同志|同学|老师|医生|大夫|护士|教授|院士|博士|律师|经理|总经理|董事长|总裁|主任|书记|局长|"
    r"处长|科长|部长|省长|市长|县长|总理|主席|委员|总统|首相|外长|大使|警官|师傅|阿姨|叔叔|夫妇|一家|"
    r"的电话|的手机|的身份证|的邮箱|的地址|的银行)"
)
_RIGHT_TITLE = re.compile("^" + _TITLES)
# a speech verb after the name: weaker, needs name-like given characters
# job titles written before a name in news prose: 研究部主任李成说, 设计总监刘克峰
_TITLES_BEFORE = (
    r"(?:主任|总监|经理|总经理|董事长|总裁|主席|总理|总统|书记|部长|社长|厂长|厂主|省长|市长|县长|局长|处长|院长|校长|教授|博士|"
    r"医生|律师|记者|编辑|委员|代表|大使|外长|将军|司令员?|政委|队长|主教练|教练|球员|选手|演员|导演|歌手|老师|"
    r"创始人|董事|工程师|研究员|专家|学者|主持人|发言人|负责人|法官|检察官|警官|村民|市民|网友|患者)"
)
# what may follow a name in running text
_AFTER_NAME = re.compile(
    r"[，。、；：！？,.;:!?（(“”\s]|说|表示|认为|指出|称|透露|介绍|强调|告诉|回忆|坦言|在|的|和|与|也|都|是|等|曾|则|"
    r"已|将|就|对|向|同|被|把|从|为|还|又|才|及|于|近日|今天|今日|日前|昨天|昨日|刚刚|[0-9]|先生|女士|同志|$"
)

_VERBS = r"(?:说|表示|指出|认为|强调|介绍|告诉|称|透露|回忆|坦言|笑着说)"
_RIGHT_VERB = re.compile("^" + _VERBS)
# characters that may stand right before a name in running text
_BOUNDARY = frozenset("了和与及同跟给让叫请找问对向被由把将是在为从据见派委托称致、，。；：！？“”‘’（）《》「」 \n\t")
# characters that rarely end a given name but often follow one (来电, 说, 的 ...)
_FUNCTION = frozenset("来去到在是的了和与及说也都就还又已被把将对从向给让电请等")

_TRANSLIT = (
    "阿埃艾安昂奥巴拜班邦保贝本比彼宾波伯博布查达戴丹道德登迪蒂丁东杜顿多厄恩法范菲费芬丰佛夫弗福盖甘冈高戈格"
    "根古瓜圭哈海汉豪赫亨侯胡华霍基吉加贾杰金卡凯坎康考科克肯库夸奎拉莱赖兰朗劳勒雷里利连林琳卢鲁伦罗洛马迈"
    "麦曼芒梅门蒙米明莫默姆穆纳奈南内尼努诺欧帕潘佩彭皮珀普奇齐恰乔切琼萨塞桑瑟森沙莎尚舍什施斯松苏索塔泰坦"
    "汤唐特滕提图托瓦万旺威韦维温沃乌伍西希谢休雅亚扬耶伊因英尤于约泽扎詹兹佐"
)

_EN_TITLES = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sir|Dame|Madam|Mme|Mlle|Herr|Frau|Rev|Capt|Col|Gen|Sgt|Lt)"
_EN_LABELS = (
    r"(?:[Nn]ame|[Ff]ull name|[Pp]atient|[Cc]ontact|[Cc]ustomer|[Ee]mployee|[Aa]pplicant|[Aa]ttn|[Aa]ttention|"
    r"[Ff]rom|[Tt]o|[Cc]c|[Aa]uthor|[Ss]ender|[Rr]ecipient|[Pp]assenger|[Gg]uest|[Tt]enant|[Oo]wner)"
)
# capitalised words that follow a first name yet are not surnames in running text
_NOT_SURNAME = frozenset(
    [
        "The",
        "And",
        "For",
        "But",
        "With",
        "From",
        "Street",
        "Avenue",
        "Road",
        "University",
        "College",
        "Company",
        "Inc",
        "Ltd",
        "Corp",
        "Group",
        "Bank",
        "Hospital",
        "Park",
        "River",
        "Lake",
        "City",
        "County",
        "State",
        "Day",
        "Night",
        "Morning",
        "Evening",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ]
)


@cache
def _name_list(name: str) -> frozenset[str]:
    text = files("airlock.detectors.data").joinpath(name).read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _zh_person(c: Candidate) -> Iterator[Finding]:
    assert c.match is not None
    text = c.match.group("name")
    sur = 2 if text[:2] in ZH_COMPOUND_SURNAMES else 1
    if sur == 1 and text[:2] in _ZH_STOPWORDS:
        return
    before = c.before(10)
    label = _LEFT_LABEL.search(before) is not None
    bounded = label or not before or before[-1] in _BOUNDARY or not ("\u4e00" <= before[-1] <= "\u9fff")
    if not bounded:
        return
    best: tuple[float, int] | None = None
    for given_len in (2, 1):
        end = sur + given_len
        if end > len(text):
            continue
        given = text[sur:end]
        if given[-1] in _FUNCTION or given[0] in _FUNCTION:
            continue
        right_text = c.view.text[c.start + end : c.start + end + 6]
        title = _RIGHT_TITLE.match(right_text) is not None
        verb = _RIGHT_VERB.match(right_text) is not None
        nameish = sum(ch in _ZH_GIVEN for ch in given) / len(given)
        score = 0.0
        if label:
            score = 0.95 if title or verb else 0.9
        elif title:
            score = 0.85
        elif verb:
            score = 0.8 if nameish == 1.0 else 0.7
        if score and (best is None or score > best[0]):
            best = (score, end)
    if best is not None:
        yield c.finding(
            "PERSON", end=c.start + best[1], score=best[0], explanation="Chinese personal name (surname and context)"
        )


def _zh_translit_title_before(c: Candidate) -> Iterator[Finding]:
    assert c.match is not None
    s, e = c.match.span("name")
    if _AFTER_NAME.match(c.view.text, e):
        yield c.finding("PERSON", start=s, end=e, score=0.8, explanation="transliterated name after a job title")


_LIST_NEXT = re.compile(
    "(?:、|和|与|及)(?P<name>(?:" + "|".join(ZH_COMPOUND_SURNAMES) + f"|[{ZH_SURNAMES}])[\u4e00-\u9fff]{{1,2}}?)"
    "(?=、|和|与|及|等|报道|，|,|。|说|表示|$)"
)


def name_list_hook(view: ScanView) -> Iterator[Finding]:
    """Extend a found Chinese name over a list: 记者陶世安、徐运平报道 -> both names."""
    known = {(f.start, f.end) for f in view.findings if f.type == "PERSON"}
    frontier = deque(sorted(known))
    while frontier:
        _start, end = frontier.popleft()
        m = _LIST_NEXT.match(view.text, end)
        if m is None:
            continue
        s, e = m.span("name")
        name = m.group("name")
        if name[:2] in _ZH_STOPWORDS or any(ch in _FUNCTION for ch in name[1:]) or (s, e) in known:
            continue
        known.add((s, e))
        frontier.append((s, e))
        yield Finding(
            "PERSON",
            s,
            e,
            0.8,
            "pii.person.zh_list",
            explanation="Chinese name in a list after another name",
            detector="pii",
            stage=view.stage,
        )


# types whose spans a name found by the tagger must not overlap (a name inside an address ...)
_SKIP_TYPES = frozenset({"SENSITIVE_ATTRIBUTE"})


def person_model_hook(view: ScanView) -> Iterator[Finding]:
    """Chinese names without context, from the shipped statistical tagger (``airlock.detectors.ner``).

    The context rules run first and win: a name the tagger finds is reported only where no
    other personal-data finding overlaps it. Scores run from 0.6 (at the tagger's decision
    threshold) towards 0.9 with the tagger's margin.
    """
    tagger = default_tagger()
    spans = tagger.spans(view.text)
    if not spans:
        return
    taken = [(f.start, f.end) for f in view.findings if f.detector == "pii" and f.type not in _SKIP_TYPES]
    for s in spans:
        if any(a < s.end and s.start < b for a, b in taken):
            continue
        if view.text[s.start : s.start + 2] in _ZH_STOPWORDS:
            continue
        excess = max(0.0, s.margin - tagger.thresholds[s.shape])
        yield Finding(
            "PERSON",
            s.start,
            s.end,
            round(0.6 + 0.3 * (1.0 - math.exp(-excess / 30.0)), 3),
            "pii.person.zh_model",
            explanation="Chinese personal name (statistical tagger)",
            detector="pii",
            stage=view.stage,
        )


def _zh_title_before(c: Candidate) -> Iterator[Finding]:
    assert c.match is not None
    s, e = c.match.span("name")
    name = c.match.group("name")
    sur = 2 if name[:2] in ZH_COMPOUND_SURNAMES else 1
    if name[:2] in _ZH_STOPWORDS:
        return
    text = c.view.text
    for end in sorted({s + len(name), s + sur + 1}, reverse=True):
        if end > e or any(ch in _FUNCTION for ch in text[s + sur : end]):
            continue
        if _AFTER_NAME.match(text, end):
            yield c.finding("PERSON", start=s, end=end, score=0.85, explanation="Chinese name after a job title")
            return


def _zh_translit(c: Candidate) -> Iterator[Finding]:
    assert c.match is not None
    s, e = c.match.span("name")
    yield c.finding("PERSON", start=s, end=e, score=0.8, explanation="transliterated foreign name before a title")


def _en_titled(c: Candidate) -> Iterator[Finding]:
    assert c.match is not None
    s, e = c.match.span("name")
    yield c.finding("PERSON", start=s, end=e, score=0.9, explanation="name after a title or label")


def _en_listed(c: Candidate) -> Iterator[Finding]:
    assert c.match is not None
    first, last = c.match.group("first", "last")
    start, end = c.start, c.end
    if not _is_name(first, last):
        # "Contact Greg Davis": the pair that matched was "Contact Greg"; try "Greg Davis"
        nxt = _NEXT_WORD.match(c.view.text, c.end)
        if nxt is None or not _is_name(last, nxt.group(1)):
            return
        start, end = c.match.start("last"), nxt.end(1)
    yield c.finding(
        "PERSON", start=start, end=end, score=0.8, explanation="known first name followed by a known surname"
    )


_NEXT_WORD = re.compile(r"(?: [A-Z]\.)? ([A-Z][a-z]{1,15}(?:-[A-Z][a-z]{1,15})?)\b")


def _is_name(first: str, last: str) -> bool:
    if first in _NOT_SURNAME or last.split("-", maxsplit=1)[0] in _NOT_SURNAME:
        return False
    return first in _name_list("en_first_names.txt") and last.split("-", maxsplit=1)[0] in _name_list("en_surnames.txt")


def _zh_labelled(c: Candidate) -> Iterator[Finding]:
    """A surname and one or two characters right after a label or between table separators."""
    assert c.match is not None
    s, e = c.match.span("name")
    name = c.match.group("name")
    if name[:2] in _ZH_STOPWORDS:
        return
    tail = c.view.text[e - 1 : e + 5]
    if len(name) > 2 and (name[-1] in _FUNCTION or _RIGHT_TITLE.match(tail) or _RIGHT_VERB.match(tail)):
        e -= 1  # 请联系党俊女士: the 女 starts the title
    elif name[-1] in _FUNCTION:
        return
    yield c.finding("PERSON", start=s, end=e, score=0.9, explanation="Chinese name after a label or in a table cell")


def name_patterns() -> list[tuple[Pattern, tuple[str, ...]]]:
    surnames = "|".join(ZH_COMPOUND_SURNAMES) + f"|[{ZH_SURNAMES}]"
    cap = r"[A-Z][a-z]{1,15}(?:-[A-Z][a-z]{1,15})?"
    return [
        (
            Pattern(
                "pii.person.zh",
                # the title or verb after the name is part of the match, so hyperscan reports
                # only names in context (the handler reports the name alone)
                f"(?P<name>(?:{surnames})[\u4e00-\u9fff]{{1,2}})(?:{_TITLES}|{_VERBS})",
                handler=_zh_person,
                exclusive=True,
            ),
            ("PERSON",),
        ),
        (
            Pattern(
                "pii.person.zh_title_before",
                f"{_TITLES_BEFORE}(?P<name>(?:{surnames})[\u4e00-\u9fff]{{1,2}})",
                handler=_zh_title_before,
                exclusive=True,
            ),
            ("PERSON",),
        ),
        (
            Pattern(
                "pii.person.zh_translit_title_before",
                f"{_TITLES_BEFORE}(?P<name>[{_TRANSLIT}]{{2,6}}(?:·[{_TRANSLIT}]{{2,6}})?)",
                handler=_zh_translit_title_before,
                exclusive=True,
            ),
            ("PERSON",),
        ),
        (
            Pattern(
                "pii.person.zh_labelled",
                r"(?:(?:姓名|联系人|收件人|收货人|申请人|负责人|经办人|患者|病人|持卡人|开户人|户主|乘客|客户|员工|"
                r"请联系|嫌疑人|被告人|原告|当事人|我叫|名叫|法定代表人)[ ]?[:：]?[ ]?|[|\t] ?)"
                rf"(?P<name>(?:{surnames})[\u4e00-\u9fff]{{1,2}})",
                handler=_zh_labelled,
                exclusive=True,
            ),
            ("PERSON",),
        ),
        (
            Pattern(
                "pii.person.zh_translit",
                f"(?<![{_TRANSLIT}])(?P<name>[{_TRANSLIT}]{{2,5}}(?:·[{_TRANSLIT}]{{2,5}})?)"
                r"(?:总统|总理|首相|国务卿|外长|部长|主席|先生|女士|夫人|教授|博士|大使|议员|将军)",
                handler=_zh_translit,
                exclusive=True,
            ),
            ("PERSON",),
        ),
        (
            Pattern(
                "pii.person.en_titled",
                rf"(?:\b{_EN_TITLES}\.? |\b{_EN_LABELS}: ?|\b(?:Dear|Hi|Hello) |\b(?:Sincerely|Regards|Signed),?\s)"
                rf"(?P<name>{cap}(?: [A-Z]\.)?(?: {cap}){{0,2}})\b",
                handler=_en_titled,
                exclusive=True,
            ),
            ("PERSON",),
        ),
        (
            Pattern(
                "pii.person.en_listed",
                rf"\b(?P<first>[A-Z][a-z]{{1,15}})(?: [A-Z]\.)? (?P<last>{cap})\b",
                handler=_en_listed,
                exclusive=True,
            ),
            ("PERSON",),
        ),
    ]
