# ruff: noqa: E501  (the phrase lists are data)
"""Build benchmarks/data/ordinary_synth.jsonl: synthetic ordinary prompts for TRAINING only.

Templates x topics, English and Chinese, written by the Airlock engineers (Apache-2.0): short
questions, writing and coding requests, long "summarise this" requests and benign persona
prompts ("Act as a travel agent ..."), so that the classifier sees what ordinary gateway
traffic looks like. It is never used to measure anything (the benchmark's ordinary sets are
the hand-written ordinary_prompts.jsonl eval split, BIPIA questions and ToxicChat).

Run: python benchmarks/data/make_ordinary_synth.py  (deterministic)
"""

from __future__ import annotations

import json
import random
from pathlib import Path

EN_TOPICS = [
    "photosynthesis",
    "the French Revolution",
    "compound interest",
    "black holes",
    "the stock market",
    "machine learning",
    "climate change",
    "the Roman Empire",
    "vaccines",
    "the water cycle",
    "blockchain",
    "jazz music",
    "the Olympic Games",
    "supply and demand",
    "the human heart",
    "volcanoes",
    "renewable energy",
    "the printing press",
    "quantum computing",
    "the Great Depression",
    "plate tectonics",
    "the immune system",
    "inflation",
    "the Renaissance",
    "electric cars",
    "the moon landing",
    "DNA",
    "neural networks",
    "the Cold War",
    "coral reefs",
    "the internet",
    "gravity",
    "Shakespeare",
    "the Silk Road",
    "tea ceremonies",
    "football tactics",
    "chess openings",
    "the Industrial Revolution",
    "bees",
    "rainbows",
]
EN_TASKS = [
    "set up a Python virtual environment",
    "bake sourdough bread",
    "fix a flat bicycle tyre",
    "write a cover letter",
    "center a div in CSS",
    "train for a half marathon",
    "improve my credit score",
    "learn Spanish faster",
    "grow tomatoes on a balcony",
    "negotiate a salary",
    "clean a cast iron pan",
    "prepare for a job interview",
    "speed up a slow laptop",
    "write unit tests in pytest",
    "make cold brew coffee",
    "plan a wedding on a budget",
    "deploy a Flask app with Docker",
    "reduce stress at work",
    "teach my dog to sit",
    "read a nutrition label",
    "merge two git branches",
    "file my taxes online",
    "remove a coffee stain",
    "organise my email inbox",
    "choose a good laptop for students",
    "write a SQL join",
    "paint a room",
    "start a vegetable garden",
    "make a budget spreadsheet",
    "use async and await in JavaScript",
    "debug a segmentation fault",
    "cook rice perfectly",
]
EN_FORMS = [
    "poem",
    "short story",
    "haiku",
    "limerick",
    "blog post",
    "product description",
    "speech",
    "toast",
    "LinkedIn post",
    "thank-you note",
    "newsletter intro",
    "song chorus",
    "children's story",
    "tweet",
]
EN_SUBJECTS = [
    "autumn leaves",
    "a lighthouse keeper",
    "my grandmother's kitchen",
    "a robot learning to paint",
    "the first day of school",
    "a rainy Sunday",
    "our new coffee machine",
    "a cat who loves boxes",
    "friendship",
    "the ocean at night",
    "a mountain village",
    "a team that shipped a product",
]
EN_ROLES = [
    ("a travel agent", "plan a five-day trip to Portugal for a family of four"),
    (
        "a Linux terminal",
        "I will type commands and you reply with what the terminal would show. My first command is pwd",
    ),
    ("an English teacher", "correct my grammar and explain each mistake"),
    ("a personal trainer", "design a three-day beginner workout plan"),
    ("a senior Python reviewer", "review the function I paste next and suggest improvements"),
    ("a interviewer for a data analyst role", "ask me one question at a time and wait for my answers"),
    ("a chef", "suggest a dinner menu using chicken, rice and spinach"),
    ("a storyteller", "tell a bedtime story about a brave little turtle"),
    ("a math tutor", "explain derivatives step by step with examples"),
    ("a customer support agent for an internet provider", "help me troubleshoot a slow connection"),
    ("a UX designer", "critique the signup flow of a mobile banking app"),
    ("a financial advisor", "explain index funds to a beginner"),
    ("a Socratic philosopher", "ask me questions about what makes a good life"),
    ("a character from a fantasy novel, a wise old wizard", "give me advice about starting a new job, in character"),
    ("my debate partner", "argue the other side of whether homework should be banned"),
]
EN_TEMPLATES = [
    "What is {topic}?",
    "Explain {topic} to a ten-year-old.",
    "Can you summarise the history of {topic}?",
    "Give me three interesting facts about {topic}.",
    "Write an essay outline about {topic}.",
    "How do I {task}?",
    "What's the best way to {task}?",
    "Step by step, how can I {task}?",
    "I need help to {task}.",
    "Write a {form} about {subject}.",
    "Could you write a short {form} about {subject}?",
    "Compare {topic} and {topic2} in a table.",
    "What are common misconceptions about {topic}?",
    "Quiz me on {topic} with five questions.",
    "Translate this sentence into French: I would like to learn about {topic}.",
]
ZH_TOPICS = [
    "光合作用",
    "法国大革命",
    "复利",
    "黑洞",
    "股市",
    "机器学习",
    "气候变化",
    "罗马帝国",
    "疫苗",
    "水循环",
    "区块链",
    "爵士乐",
    "奥运会",
    "供求关系",
    "人体心脏",
    "火山",
    "可再生能源",
    "印刷术",
    "量子计算",
    "唐朝诗歌",
    "板块构造",
    "免疫系统",
    "通货膨胀",
    "文艺复兴",
    "电动汽车",
    "登月",
    "基因",
    "神经网络",
    "丝绸之路",
    "茶文化",
    "中国象棋",
    "工业革命",
    "蜜蜂",
    "彩虹",
    "二十四节气",
    "长江",
    "京剧",
    "高铁",
    "熊猫",
    "春节习俗",
]
ZH_TASKS = [
    "创建 Python 虚拟环境",
    "做酸面包",
    "补自行车胎",
    "写求职信",
    "让 div 居中",
    "准备半程马拉松",
    "提高信用分",
    "更快地学英语",
    "在阳台种番茄",
    "跟老板谈加薪",
    "保养铸铁锅",
    "准备面试",
    "给电脑提速",
    "用 pytest 写单元测试",
    "做冷萃咖啡",
    "省钱办婚礼",
    "用 Docker 部署 Flask 应用",
    "缓解工作压力",
    "教狗狗坐下",
    "看懂营养成分表",
    "合并两个 git 分支",
    "网上报税",
    "去除咖啡渍",
    "整理邮箱",
    "挑选学生笔记本电脑",
    "写 SQL 连接查询",
    "粉刷房间",
    "开辟一块菜园",
    "做家庭预算表",
    "在 JavaScript 里用 async/await",
    "排查段错误",
    "煮出好吃的米饭",
]
ZH_FORMS = [
    "诗",
    "短篇故事",
    "散文",
    "打油诗",
    "公众号文章",
    "商品文案",
    "演讲稿",
    "祝酒词",
    "朋友圈文案",
    "感谢信",
    "歌词",
]
ZH_SUBJECTS = [
    "秋天的落叶",
    "灯塔看守人",
    "外婆的厨房",
    "学画画的机器人",
    "开学第一天",
    "下雨的周末",
    "新买的咖啡机",
    "喜欢纸箱的猫",
    "友谊",
    "夜晚的大海",
    "山里的村庄",
    "刚上线产品的团队",
]
ZH_ROLES = [
    ("旅行顾问", "为一家四口规划五天的云南之旅"),
    ("Linux 终端", "我输入命令，你只回复终端的输出。第一个命令是 ls"),
    ("英语老师", "帮我改语法错误并逐条解释"),
    ("健身教练", "制定一个三天的新手训练计划"),
    ("资深 Python 代码审查员", "审查我接下来贴的函数"),
    ("面试官", "一次问我一个数据分析岗位的问题"),
    ("厨师", "用鸡肉、米饭和菠菜搭配一份晚餐菜单"),
    ("讲故事的人", "讲一个勇敢小乌龟的睡前故事"),
    ("数学家教", "一步一步讲解导数"),
    ("宽带客服", "帮我排查网速慢的问题"),
    ("理财顾问", "给新手讲讲指数基金"),
    ("奇幻小说里的老巫师", "用角色的口吻给我一些入职新工作的建议"),
    ("辩论对手", "就“是否应该取消家庭作业”站在反方辩论"),
]
ZH_TEMPLATES = [
    "什么是{topic}？",
    "给十岁的孩子讲讲{topic}。",
    "简单介绍一下{topic}的历史。",
    "关于{topic}，说三个有趣的事实。",
    "写一份关于{topic}的作文提纲。",
    "怎么{task}？",
    "{task}有什么好方法？",
    "一步一步教我{task}。",
    "我想{task}，请帮帮我。",
    "写一首关于{subject}的{form}。",
    "帮我写一篇关于{subject}的{form}。",
    "用表格比较{topic}和{topic2}。",
    "关于{topic}有哪些常见误解？",
    "出五道关于{topic}的小测验。",
]
LONG_EN = [
    "Summarise the following email in two sentences and list any action items:\n\n{body}",
    "Here is a paragraph from my report. Please improve the wording without changing the meaning:\n\n{body}",
    "Translate the following text into Chinese:\n\n{body}",
]
LONG_ZH = [
    "请用两句话总结下面这封邮件，并列出待办事项：\n\n{body}",
    "下面是我报告里的一段话，请在不改变意思的前提下润色：\n\n{body}",
]
BODIES_EN = [
    "Hi team, the quarterly planning meeting moves to Thursday at 10am in room 4B. Please bring your project updates, the draft budget and any risks you see for the next release. Lunch will be provided. Thanks, Maria",
    "Our customer survey shows that delivery times improved by 12 percent this quarter, while satisfaction with packaging dropped slightly. We recommend testing recyclable boxes in two regions before a wider roll-out.",
    "The library will be closed on Monday for maintenance. Borrowed books can be returned through the drop box, and online services, including e-book loans and the research database, remain available.",
]
BODIES_ZH = [
    "各位同事，季度规划会议改到周四上午十点在4B会议室举行。请带上项目进展、预算草案以及对下个版本的风险评估。会议提供午餐。谢谢，王芳",
    "客户调研显示，本季度配送时效提升了12%，但对包装的满意度略有下降。建议先在两个地区试用可回收纸箱，再决定是否推广。",
]


# Contrastive twins: the imperative phrasing of harmful-request benchmarks ("Write a tutorial on
# how to ...", "如何制作...") with harmless objects, so the classifier cannot learn the phrasing
# alone. Written from the general shape of such requests, not from any benchmark row.
TWIN_FRAMES_EN = [
    "Write a tutorial on how to {t}",
    "Explain how to {t}",
    "Create a step-by-step guide to {t}",
    "Develop a plan to {t}",
    "Give detailed instructions on how to {t}",
    "Write a script that helps me {t}",
    "Provide a list of tips to {t}",
    "Teach me how to {t}",
    "Describe in detail how to {t}",
    "Outline a strategy to {t}",
    "Write a blog post explaining how to {t}",
    "Design a program that can {t}",
]
TWIN_TASKS_EN = [
    "make a cake",
    "bake bread without yeast",
    "build a birdhouse",
    "grow basil indoors",
    "brew green tea",
    "track my daily water intake",
    "monitor my website uptime",
    "identify birds by their songs",
    "profile a slow Python function",
    "collect rainwater for the garden",
    "aggregate sales data by region",
    "pick a lock on my own diary I lost the key to",
    "remove rust from old tools",
    "kill weeds without chemicals",
    "shoot better photos at night",
    "attack a chess opening",
    "destroy old hard drives safely before recycling",
    "hack together a quick prototype",
    "crack an egg with one hand",
    "make fireworks-themed cupcakes",
    "win a debate",
    "get rid of fruit flies",
    "break a bad habit",
    "steal the show at a talent contest",
    "burn fat with exercise",
    "bypass writer's block",
    "beat the heat in summer",
    "blow up balloons quickly",
    "poison-proof a home for toddlers",
    "protect my accounts from phishing",
]
TWIN_FRAMES_ZH = [
    "如何{t}",
    "怎么{t}？",
    "教我{t}",
    "详细说明如何{t}",
    "写一篇教程，讲怎么{t}",
    "给出{t}的具体步骤",
    "制定一个{t}的计划",
    "写个脚本帮我{t}",
]
TWIN_TASKS_ZH = [
    "制作蛋糕",
    "在家做面包",
    "搭一个鸟窝",
    "在室内种罗勒",
    "泡一杯好绿茶",
    "记录每天喝水量",
    "监控网站是否宕机",
    "通过叫声识别鸟类",
    "分析 Python 程序的性能",
    "收集雨水浇花",
    "按地区汇总销售数据",
    "去除工具上的铁锈",
    "不用农药除草",
    "晚上拍出清晰的照片",
    "安全销毁旧硬盘",
    "快速做出产品原型",
    "单手打鸡蛋",
    "赢得一场辩论",
    "消灭家里的果蝇",
    "改掉拖延的坏习惯",
    "通过运动燃烧脂肪",
    "克服写作瓶颈",
    "夏天防暑降温",
    "快速吹气球",
    "给家里做好儿童防护",
    "保护账号不被钓鱼",
]


# Benign role-play and game set-ups (the kind of prompt ordinary users write that looks like a
# jailbreak template to an n-gram model), and fiction / history requests with dark themes.
RP_SETUPS_EN = [
    "Let's play a text adventure. You are the narrator of a haunted lighthouse mystery",
    "You are the game master of a fantasy tabletop campaign set in a desert kingdom",
    "Pretend to be a grumpy but kind librarian in a small coastal town",
    "Role-play as a ship's computer on a long voyage to Mars",
    "You are Sherlock Holmes and I am Dr Watson; we are investigating a stolen painting",
    "Act as a medieval innkeeper who loves gossip",
    "You will play a friendly alien who is visiting Earth for the first time",
    "Be my language exchange partner who only speaks simple Japanese",
    "Play the role of a stern but fair job interviewer at a bank",
    "You are a tour guide in ancient Rome showing visitors the Forum",
    "Imagine you are a cat explaining your daily routine",
    "You are a chatbot for a pizza restaurant taking orders",
]
RP_RULES_EN = [
    "Describe the scene in a few sentences and then ask me what I do next.",
    "Keep your replies under 100 words and always end with a question.",
    "Use a playful tone and include one interesting fact in each reply.",
    "Stay in character for the whole conversation unless I type OOC.",
    "If I make a mistake, gently correct me in brackets.",
    "Start by introducing yourself and the setting.",
]
DARK_FICTION_EN = [
    "Write a murder mystery short story where the detective solves the case using a train timetable.",
    "Summarise the causes and the human cost of the First World War for a history class.",
    "Write a tense scene for my thriller in which the hero defuses a tense hostage negotiation with words.",
    "Explain how the Black Death spread through Europe in the 14th century.",
    "Write a war poem in the style of Wilfred Owen about the trenches.",
    "What happened at Hiroshima and Nagasaki, and how did it shape nuclear policy?",
    "Write a villain's monologue for a children's pantomime.",
    "Describe how medieval castles were defended during a siege.",
    "Write a short horror story about a house that rearranges its rooms at night.",
    "Why did the Roman Republic collapse into civil war?",
]
RP_SETUPS_ZH = ["我们来玩文字冒险游戏，你是鬼屋灯塔谜案的旁白", "你是一个沙漠王国奇幻跑团的主持人", "请扮演海边小镇里脾气不好但很善良的图书管理员",
                "你是去火星长途航行的飞船电脑", "你是福尔摩斯，我是华生，我们在调查一幅失窃的画", "假装你是第一次来地球的友善外星人",
                "你是一家披萨店的点餐机器人", "扮演一个带游客参观故宫的导游"]
RP_RULES_ZH = ["先用几句话描述场景，然后问我下一步做什么。", "每次回复不超过一百字，并以一个问题结尾。", "语气轻松一点，每次回复加一个有趣的小知识。",
               "整个对话都保持角色，除非我说“跳出”。"]
DARK_FICTION_ZH = ["写一篇推理短篇，侦探靠火车时刻表破案。", "给历史课总结一下第一次世界大战的起因和伤亡。", "讲讲十四世纪黑死病是怎么在欧洲传播的。",
                   "写一首关于战壕的反战诗。", "中世纪城堡在围城战中是怎么防守的？", "写一个房子晚上会自己换房间布局的恐怖小故事。",
                   "罗马共和国为什么会陷入内战？", "给儿童剧写一段反派的独白。"]


def build() -> list[dict[str, object]]:
    rng = random.Random(20250601)
    out: list[dict[str, object]] = []
    for lang, templates, topics, tasks, forms, subjects in (
        ("en", EN_TEMPLATES, EN_TOPICS, EN_TASKS, EN_FORMS, EN_SUBJECTS),
        ("zh", ZH_TEMPLATES, ZH_TOPICS, ZH_TASKS, ZH_FORMS, ZH_SUBJECTS),
    ):
        seen: set[str] = set()
        for _ in range(1500):
            t = rng.choice(templates).format(
                topic=rng.choice(topics),
                topic2=rng.choice(topics),
                task=rng.choice(tasks),
                form=rng.choice(forms),
                subject=rng.choice(subjects),
            )
            if t not in seen:
                seen.add(t)
                out.append({"text": t, "label": 0, "lang": lang})
    for role, task in EN_ROLES:
        for frame in (
            "I want you to act as {r}. {t}.",
            "Act as {r} and {t}.",
            "You are {r}. Please {t}.",
            "Pretend you are {r}: {t}. Keep your answers short.",
        ):
            out.append({"text": frame.format(r=role, t=task), "label": 0, "lang": "en"})
    for role, task in ZH_ROLES:
        for frame in ("我希望你扮演{r}，{t}。", "请你作为{r}，{t}。", "你现在是{r}，请{t}。"):
            out.append({"text": frame.format(r=role, t=task), "label": 0, "lang": "zh"})
    for setup in RP_SETUPS_EN:
        for rule in RP_RULES_EN:
            out.append({"text": f"{setup}. {rule}", "label": 0, "lang": "en"})
    for setup in RP_SETUPS_ZH:
        for rule in RP_RULES_ZH:
            out.append({"text": f"{setup}。{rule}", "label": 0, "lang": "zh"})
    out += [{"text": t, "label": 0, "lang": "en"} for t in DARK_FICTION_EN]
    out += [{"text": t, "label": 0, "lang": "zh"} for t in DARK_FICTION_ZH]
    for frame in TWIN_FRAMES_EN:
        for task in TWIN_TASKS_EN:
            out.append({"text": frame.format(t=task), "label": 0, "lang": "en"})
    for frame in TWIN_FRAMES_ZH:
        for task in TWIN_TASKS_ZH:
            out.append({"text": frame.format(t=task), "label": 0, "lang": "zh"})
    for body in BODIES_EN:
        for frame in LONG_EN:
            out.append({"text": frame.format(body=body), "label": 0, "lang": "en"})
    for body in BODIES_ZH:
        for frame in LONG_ZH:
            out.append({"text": frame.format(body=body), "label": 0, "lang": "zh"})
    return out


if __name__ == "__main__":
    path = Path(__file__).with_name("ordinary_synth.jsonl")
    rows = build()
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {path} ({len(rows)} rows)")
