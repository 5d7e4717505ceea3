"""Project-authored training text for the Chinese name tagger (used by scripts/train_ner.py).

* ``fake_name``: a Chinese name: a surname drawn by Faker zh_CN's population weights and a
  one- or two-character given name from Faker's given names or our list of name characters.
* ``augment``: an msra_ner training sentence with its person names replaced by fake ones
  (the context stays real, the names vary, so the tagger learns the context, not the names).
* ``templated``: our own sentences -- chat, e-mail, forms, news, social media -- with names,
  and name-free sentences full of words that start with a surname character (高兴, 文明,
  金融, 方面 ...), place names and organisations that must stay ``O``.

Deterministic for a given ``random.Random`` and Faker version.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

from faker.providers.lorem.zh_CN import Provider as LoremZh
from faker.providers.person.zh_CN import Provider as PersonZh

from airlock.detectors.ner.features import GIVEN_CHARS

Tagged = tuple[str, list[int]]  # text, one tag per character (0 O, 1 B, 2 I)

_SURNAMES = list(PersonZh.last_names.keys())
_SURNAME_WEIGHTS = list(PersonZh.last_names.values())
_FAKER_GIVEN = sorted(set(PersonZh.first_names_male) | set(PersonZh.first_names_female))
_GIVEN_POOL = sorted(set(GIVEN_CHARS))

FOREIGN = (
    "约翰 玛丽 史密斯 布朗 琼斯 米勒 戴维斯 威尔逊 安德森 泰勒 托马斯 杰克逊 怀特 哈里斯 马丁 汤普森 加西亚 马丁内斯 "
    "罗宾逊 克拉克 罗德里格斯 刘易斯 李 沃克 霍尔 艾伦 扬 赫尔南德斯 金 赖特 洛佩斯 希尔 斯科特 格林 "
    "亚当斯 贝克 冈萨雷斯 "
    "纳尔逊 卡特 米切尔 佩雷斯 罗伯茨 特纳 菲利普斯 坎贝尔 帕克 埃文斯 爱德华兹 柯林斯 斯图尔特 桑切斯 莫里斯 罗杰斯 "
    "里德 库克 摩根 贝尔 墨菲 贝利 里维拉 库珀 理查森 考克斯 霍华德 沃德 托雷斯 彼得森 格雷 拉米雷斯 詹姆斯 沃森 "
    "布鲁克斯 凯利 桑德斯 普莱斯 贝内特 伍德 巴恩斯 罗斯 亨德森 科尔曼 詹金斯 佩里 鲍威尔 朗 帕特森 休斯 弗洛雷斯 "
    "华盛顿 巴特勒 西蒙斯 福斯特 冈萨雷斯 布莱恩特 亚历山大 拉塞尔 格里芬 迪亚兹 海斯 安娜 伊万诺夫 彼得罗夫 "
    "娜塔莎 谢尔盖 弗拉基米尔 米哈伊尔 穆罕默德 阿卜杜拉 艾哈迈德 汉斯 穆勒 施密特 施耐德 菲舍尔 韦伯 迈尔 "
    "皮埃尔 让 米歇尔 勒努瓦 杜邦 卡洛斯 胡安 马里奥 罗西 费拉里 田中 山本 佐藤 渡边 铃木 金正 朴 崔"
).split()
_FULL_FOREIGN = (
    "约翰·史密斯", "玛丽·布朗", "彼得·杰克逊", "安娜·伊万诺娃", "汉斯·穆勒", "卡洛斯·加西亚", "让·杜邦",
)  # fmt: skip

# words that start with a surname character, and places and organisations: never names
NOT_NAMES = (
    "高兴 高度 高级 高速 高中 高原 文明 文化 文件 文章 金融 金额 金属 方面 方向 方法 方式 方便 方案 黄金 黄色 "
    "王国 周末 周年 周围 常常 常见 许多 张开 白色 白天 马上 安全 安排 和平 明天 明白 石油 林业 万一 申请 时间 时候 "
    "成功 成为 成立 成本 华人 宁可 程度 程序 任何 任务 沈阳 江山 江湖 钱包 孙子 罗马 谢谢 韩国 曾经 董事 余额 杜绝 "
    "叶子 苏联 丁香 陆地 陆续 范围 石头 夏天 夏季 付出 付款 白菜 熊猫 江苏 段落 雷达 陶瓷 黎明 顾客 顾问 毛病 "
    "严格 严重 武器 孔子 向来 常规 温度 温暖 康复 施工 牛奶 安装 齐全 易于 颜色 庄严 章节 欧洲 关于 关系 关注 "
    "焦点 左右 甘肃 祝贺 包括 宁静 尚未 符合 舒服 纪律 纪念 童年 凌晨 毕业 单位 季节 成果 盛大 曲线 蓝色 路上 "
    "路线 游戏 辛苦 管理 蒙古 华丽 房间 房子 解决 尤其 阳光 时代 农业 司机 卓越 古代 吉祥 简单 车辆 项目 连续 "
    "景色 党员 费用 冷静 卫生 全部 全国 应该 应用 商品 商业 和谐 师生 明显 查询 查看 迟到 高铁 高校 高考 高层 "
    "方针 文艺 文物 金牌 金奖 石化 林场 钟声 钟点 汪汪 曹县 田野 田间 董事会 袁大头 潘家园 于是 蒋介石故居 "
    "许可 何处 何时 胡同 郭外 梁柱 宋朝 唐代 冯家 邓家 彭湖 肖像 蔡伦纸 杨柳 赵州桥 吴语 周边 徐徐 孙辈 马路 "
    "朱红 林木 郑重 谢绝 宋体 韩流 曹操墓 曾孙 彭城 田园 董事长 袁州 潘多拉 蒋村 蔡家 余下 杜鹃 叶片 程控 苏醒 "
    "魏晋 吕剧 任职 沈家 姚江 卢沟桥 姜汤 崔巍 钟表 谭家 陆军 汪洋 范例 金银 石块 廖家 贾家 夏令营 韦编 付诸 "
    "方才 白领 邹城 孟夏 熊市 秦岭 邱家 江南 尹家 薛家 闫家 段位 雷雨 侯爵 龙头 史书 陶冶 黎民 贺信 顾全 毛衣 "
    "武汉 戴帽 莫非 孔雀 向往 汤圆 常委 温州 康乃馨 施肥 文学 牛市 安徽 齐鲁 乔迁 伍佰 庞然 颜料 庄园 聂拉木 "
    "中国 北京 上海 广州 深圳 天津 重庆 香港 澳门 台湾 美国 日本 英国 法国 德国 俄罗斯 联合国 国务院 人民日报 "
    "新华社 中央电视台 北京大学 清华大学 中国银行 工商银行 华为 腾讯 阿里巴巴 小米 长江 黄河 泰山 西湖 故宫 长城"
).split()

_PERSON_TEMPLATES = (
    # chat and e-mail
    "{P}，明天上午的会你能来吗？", "@{P} 麻烦把报告发我一下", "{P}你好，我是销售部的{Q}。", "刚才{P}打电话过来了",
    "今天和{P}一起吃了午饭", "我跟{P}说过这件事了", "请转告{P}，合同已经签好了", "{P}说他下周请假",
    "已经把文件交给{P}了", "{P}和{Q}都同意这个方案", "帮我问问{P}什么时候有空", "{P}在群里发了通知",
    "周五{P}要去上海出差", "我觉得{P}的想法不错", "这个问题{P}最清楚", "{P}昨天加班到很晚",
    "抄送：{P}、{Q}", "发件人：{P}", "您好{P}，附件是本月的对账单", "谢谢{P}的帮助！", "回复{P}：收到，马上处理",
    # forms and records
    "姓名：{P} 性别：男 年龄：35", "联系人{P}，电话另行通知", "经办人：{P}", "申请人{P}于今日提交了材料",
    "{P}，女，1985年生，汉族", "{P}，男，中共党员，高级工程师", "患者{P}，主诉头痛三天", "学生{P}本学期成绩优秀",
    "收件人：{P}（请本人签收）", "审批人：{P}  日期：2024年3月1日", "{P}同志任办公室主任",
    # news
    "{P}在会上指出，要进一步深化改革。", "据{P}介绍，该项目总投资约三亿元。", "{P}表示，公司将继续扩大生产。",
    "{P}认为，这次调整是必要的。", "记者{P}报道", "本报记者{P}", "{P}、{Q}等出席了开幕式。", "会议由{P}主持。",
    "{P}强调，安全生产责任重于泰山。", "{P}今年五十岁，在村里当了二十年医生。", "{P}的父亲是一名教师。",
    "{P}告诉记者，今年的收成比去年好。", "{P}从小就喜欢画画。", "{P}和妻子经营着一家小餐馆。", "{P}获得了一等奖。",
    "{P}当选为新一届主席。", "{P}向大会作工作报告。", "{P}会见了来访的代表团。", "{P}对此表示欢迎。", "{P}曾任副市长。",
    "在{P}的带领下，团队完成了任务。", "{P}一家人住在城东。", "{P}被评为劳动模范。", "{P}与{Q}进行了会谈。",
    "一位名叫{P}的老人", "村民{P}说：“日子越过越好了。”", "{P}的作品在展览中展出。", "据了解，{P}已经离开了公司。",
    # social media
    "今天见到{P}本人了，好激动！", "{P}的新歌太好听了", "支持{P}！", "{P}加油！", "和{P}的合影", "{P}生日快乐！",
    "刚看完{P}主演的电影", "{P}这次表现真不错", "转发{P}的微博", "我是{P}的粉丝",
)  # fmt: skip
_FOREIGN_TEMPLATES = (
    "{F}表示，双方将加强合作。", "{F}说，谈判取得了进展。", "美国总统{F}今天抵达北京。", "{F}在记者会上回答了提问。",
    "据{F}介绍，公司去年利润增长。", "{F}是一位著名的作家。", "球员{F}打进了制胜一球。", "{F}与{G}举行了会谈。",
    "{F}的新书将于下月出版。", "教练{F}对比赛结果很满意。",
)  # fmt: skip
_NEGATIVE_TEMPLATES = (
    "{W}是当前工作的重点。", "我们要加强{W}建设。", "关于{W}的问题，大家讨论了很久。", "{W}和{W2}都很重要。",
    "今年的{W}情况比去年好。", "他对{W}很有研究。", "这次{W}让人印象深刻。", "在{W}方面取得了进展。",
    "{W}，{W2}，还有{W3}。", "请注意{W}。", "{W}的发展速度很快。", "我在{W}工作了三年。", "今天非常{W}。",
    "{W}问题引起了广泛关注。", "他们去了{W}和{W2}。", "报告提到了{W}、{W2}和{W3}。",
)  # fmt: skip


def fake_name(rng: random.Random, filler: Sequence[str] = ()) -> str:
    """A surname and a given name; ``filler`` (any Han characters) makes rare given names."""
    surname = rng.choices(_SURNAMES, weights=_SURNAME_WEIGHTS)[0]
    if rng.random() < 0.02:
        surname = rng.choice(("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "慕容", "司徒", "令狐"))

    def char() -> str:
        r = rng.random()
        if filler and r < 0.35:
            return rng.choice(filler)
        if r < 0.6:
            return rng.choice(_GIVEN_POOL)
        return rng.choice(_FAKER_GIVEN)[0]

    given = char() if rng.random() < 0.2 else char() + char()
    return surname + given


def fake_foreign(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return rng.choice(_FULL_FOREIGN)
    return rng.choice(FOREIGN)


def _fill(template: str, values: dict[str, tuple[str, bool]]) -> Tagged:
    text: list[str] = []
    tags: list[int] = []
    i = 0
    while i < len(template):
        if template[i] == "{":
            j = template.index("}", i)
            value, is_name = values[template[i + 1 : j]]
            text.append(value)
            tags.extend([1, *[2] * (len(value) - 1)] if is_name else [0] * len(value))
            i = j + 1
        else:
            text.append(template[i])
            tags.append(0)
            i += 1
    return "".join(text), tags


def templated(
    rng: random.Random, n_person: int, n_foreign: int, n_negative: int, filler: Sequence[str] = ()
) -> Iterator[Tagged]:
    words = NOT_NAMES + [w for w in LoremZh.word_list if len(w) >= 2]
    for _ in range(n_person):
        yield _fill(
            rng.choice(_PERSON_TEMPLATES), {"P": (fake_name(rng, filler), True), "Q": (fake_name(rng, filler), True)}
        )
    for _ in range(n_foreign):
        yield _fill(rng.choice(_FOREIGN_TEMPLATES), {"F": (fake_foreign(rng), True), "G": (fake_foreign(rng), True)})
    for _ in range(n_negative):
        yield _fill(
            rng.choice(_NEGATIVE_TEMPLATES),
            {k: (rng.choice(words), False) for k in ("W", "W2", "W3")},
        )


def augment(
    rng: random.Random, text: str, tags: Sequence[int], surnames: str, *, copies: int, filler: Sequence[str] = ()
) -> Iterator[Tagged]:
    """Copies of a tagged sentence with every Chinese-surname name replaced by a fake one."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(tags):
        if tags[i] == 1:
            j = i + 1
            while j < len(tags) and tags[j] == 2:
                j += 1
            spans.append((i, j))
            i = j
        else:
            i += 1
    chinese = [(s, e) for s, e in spans if text[s] in surnames and 2 <= e - s <= 3]
    if not chinese:
        return
    for _ in range(copies):
        mapping: dict[str, str] = {}
        out: list[str] = []
        out_tags: list[int] = []
        last = 0
        for s, e in chinese:
            out.append(text[last:s])
            out_tags.extend(tags[last:s])
            name = mapping.setdefault(text[s:e], fake_name(rng, filler))
            out.append(name)
            out_tags.extend([1, *[2] * (len(name) - 1)])
            last = e
        out.append(text[last:])
        out_tags.extend(tags[last:])
        yield "".join(out), out_tags
