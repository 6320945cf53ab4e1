package web

// initials are the pinyin initials of the shipped categories' Chinese names
// (catalog/data/categories.json), one letter per character, checked by hand
// against the readings in context (行道树 xíngdàoshù, 暴露 bàolù, 散发
// sànfā, 堵塞 dǔsè; 绿 lǜ is written l). Inspectors type them on a phone
// keyboard to find a category: "bllj" finds 暴露垃圾.
var initials = map[string]string{
	"C0101": "ssjg",    // 上水井盖
	"C0102": "wsjg",    // 污水井盖
	"C0103": "ysjg",    // 雨水井盖
	"C0104": "ysbz",    // 雨水箅子
	"C0105": "dljg",    // 电力井盖
	"C0106": "wzjg",    // 无主井盖
	"C0110": "ld",      // 路灯
	"C0111": "xfs",     // 消防栓
	"C0201": "tcc",     // 停车场
	"C0202": "gjzt",    // 公交站亭
	"C0207": "jtbzp",   // 交通标志牌
	"C0208": "jtjsz",   // 交通警示柱
	"C0210": "jtxhd",   // 交通信号灯
	"C0211": "lmp",     // 路名牌
	"C0212": "rxd",     // 人行道
	"C0213": "hl",      // 护栏
	"C0301": "ggcs",    // 公共厕所
	"C0302": "ljf",     // 垃圾房
	"C0304": "ljx",     // 垃圾箱
	"C0305": "dzdp",    // 店招店牌
	"C0401": "gsmm",    // 古树名木
	"C0402": "xds",     // 行道树
	"C0405": "ld",      // 绿地
	"C0406": "csds",    // 城市雕塑
	"E0101": "sdlj",    // 私搭乱建
	"E0102": "bllj",    // 暴露垃圾
	"E0103": "jcljzt",  // 积存垃圾渣土
	"E0104": "dlbj",    // 道路不洁
	"E0105": "sybj",    // 水域不洁
	"E0106": "ldzl",    // 绿地脏乱
	"E0107": "ldwdl",   // 乱堆物堆料
	"E0108": "yjls",    // 沿街晾晒
	"E0109": "fslj",    // 焚烧垃圾
	"E0110": "ltsk",    // 露天烧烤
	"E0201": "ffxgg",   // 非法小广告
	"E0202": "wghwgg",  // 违规户外广告
	"E0203": "jtsfgg",  // 街头散发广告
	"E0301": "sgrm",    // 施工扰民
	"E0302": "gdyc",    // 工地扬尘
	"E0303": "dlys",    // 道路遗撒
	"E0304": "sgzd",    // 施工占道
	"E0305": "gdwdbgf", // 工地围挡不规范
	"E0401": "lmtx",    // 路面塌陷
	"E0402": "gsgdpl",  // 供水管道破裂
	"E0403": "rqgdpl",  // 燃气管道破裂
	"E0404": "xsdds",   // 下水道堵塞
	"E0405": "dljs",    // 道路积水
	"E0406": "dljxjb",  // 道路积雪结冰
	"E0501": "wzjyys",  // 无照经营游商
	"E0502": "zdjy",    // 占道经营
	"E0503": "dwjy",    // 店外经营
	"E0504": "jdcltf",  // 机动车乱停放
	"E0505": "fjdcltf", // 非机动车乱停放
	"E0506": "llqt",    // 流浪乞讨
	"E0507": "hclk",    // 黑车拉客
	"E0508": "pqkd",    // 破墙开店
	"E0601": "qtsj",    // 其他事件
}

// Initials returns the pinyin initials of a shipped category's name ("" for
// a category a city added: it is still found by name and code).
func Initials(code string) string { return initials[code] }
