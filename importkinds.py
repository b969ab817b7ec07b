"""The columns of each kind of imported file (accounts, charges, payments, meters), their names."""
from dataclasses import dataclass

from importcells import (
    account_number, day, email, header_key, meter_kind, money, period, plus_money, plus_number_of,
    positive_money, text_of, whole,
)
from meter_models import Meter
from models import Account, Charge

# non-negative numbers that fit their columns
area, volume, tariff = (plus_number_of(f) for f in (Account.area, Charge.volume, Charge.tariff))
reading = plus_number_of(Meter.initial_t1)

METER_UNITS = {"cold_water": "м³", "hot_water": "м³", "electricity": "кВт·ч", "gas": "м³",
               "heat": "Гкал"}


@dataclass
class Column:
    name: str
    parse: object
    aliases: str  # the first alias is the one the documentation and messages use
    required: bool = False

    @property
    def title(self):
        return self.aliases.split("|")[0]


ACCOUNT = ("Лицевой счёт|лицевой счет|л/с|лс|номер л/с|№ л/с|номер лицевого счета|счет|account|"
           "account number")
KINDS = {
    "accounts": [
        Column("number", account_number, ACCOUNT, True),
        Column("address", text_of(255), "Адрес|адрес дома|address", True),
        Column("apartment", text_of(20), "Квартира|кв|кв.|№ кв|помещение|apartment|flat"),
        Column("owner", text_of(255), "Собственник|владелец|фио|фио собственника|owner"),
        Column("area", area, "Площадь|общая площадь|площадь м2|площадь кв м|area"),
        Column("residents", whole, "Проживает|проживающих|зарегистрировано|кол во проживающих|"
                                   "residents"),
        Column("email_on_file", email, "E-mail|email|эл почта|электронная почта"),
        Column("registration_code", text_of(40), "Код регистрации|код|registration code"),
    ],
    "charges": [
        Column("period", period, "Период|месяц|расчетный период|period|month", True),
        Column("account", account_number, ACCOUNT, True),
        Column("service", text_of(255), "Услуга|наименование услуги|вид услуги|service", True),
        Column("unit", text_of(20), "Ед. изм.|единица измерения|ед изм|единица|unit"),
        Column("volume", volume, "Объём|объем|количество|кол во|volume"),
        Column("tariff", tariff, "Тариф|цена|tariff"),
        Column("amount", plus_money, "Начислено|начислено по тарифу|сумма|amount", True),
        Column("recalculation", money, "Перерасчёт|перерасчет|перерасчеты|корректировка|"
                                       "recalculation"),
        Column("benefit", plus_money, "Льгота|льготы|субсидия|benefit"),
        Column("opening_balance", money, "Входящее сальдо|сальдо на начало|долг на начало|"
                                         "сальдо входящее|opening balance"),
        Column("penalty", plus_money, "Пени|penalty"),
        Column("to_pay", money, "К оплате|итого к оплате|итого|to pay"),
    ],
    "payments": [
        Column("account", account_number, ACCOUNT, True),
        Column("paid_on", day, "Дата оплаты|дата платежа|дата|paid on|date", True),
        Column("amount", positive_money, "Сумма|сумма оплаты|оплачено|amount", True),
        Column("period", period, "Период|месяц|учтено в периоде|period|month"),
        Column("reference", text_of(255), "Плательщик/банк|назначение|банк|плательщик|"
                                          "документ|reference"),
    ],
    "meters": [
        Column("account", account_number, ACCOUNT, True),
        Column("kind", meter_kind, "Вид|вид счетчика|тип|ресурс|услуга|kind", True),
        Column("serial", text_of(64), "Заводской номер|номер счетчика|зав номер|серийный номер|"
                                      "serial", True),
        Column("place", text_of(255), "Место установки|место|place"),
        Column("zones", whole, "Тарифность|зоны|число зон|кол во зон|zones"),
        Column("verified_until", day, "Поверка до|дата следующей поверки|следующая поверка|"
                                      "verified until"),
        Column("commissioned_on", day, "Дата установки|введен в эксплуатацию|установлен|"
                                       "commissioned on"),
        Column("initial_t1", reading, "Начальные показания|начальное показание|"
                                          "начальные показания т1|показания т1|т1|"
                                          "начальные показания t1|t1|initial|initial t1"),
        Column("initial_t2", reading, "Начальные показания Т2|показания т2|т2|"
                                          "начальные показания t2|t2|initial t2"),
        Column("initial_t3", reading, "Начальные показания Т3|показания т3|т3|"
                                          "начальные показания t3|t3|initial t3"),
    ],
}
# a kind is recognised by a column only it has
SIGNATURES = {"accounts": {"address", "owner", "area", "apartment"}, "charges": {"service"},
              "payments": {"paid_on"}, "meters": {"kind", "serial"}}
ALIASES = {kind: {header_key(alias): column for column in columns
                  for alias in column.aliases.split("|")}
           for kind, columns in KINDS.items()}
ACCOUNT_BLANKS = {"address": "", "apartment": "", "owner": "", "area": 0, "residents": 0,
                  "email_on_file": "", "registration_code": ""}
